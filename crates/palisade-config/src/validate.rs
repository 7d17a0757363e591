//! Raw -> validated: defaults, address and URL checks, cross references (model -> upstream),
//! uniqueness, and the rule that plain HTTP upstreams must be loopback.

use crate::error::{line_of, ConfigError};
use crate::raw::{RawConfig, RawMcpServer, RawServer, RawUpstream};
use crate::types::*;
use palisade_core::DestinationClass;
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

const DEFAULT_BODY_LIMIT: u64 = 4 * 1024 * 1024;

struct Ctx<'a> {
    text: &'a str,
    origin: &'a str,
    base_dir: &'a Path,
}

impl Ctx<'_> {
    fn err<T>(
        &self,
        field: impl Into<String>,
        span: Option<std::ops::Range<usize>>,
        reason: impl Into<String>,
    ) -> Result<T, ConfigError> {
        Err(ConfigError::Invalid {
            file: self.origin.to_owned(),
            line: span.map(|s| line_of(self.text, s.start)),
            field: field.into(),
            reason: reason.into(),
        })
    }
    fn path(&self, p: &str) -> PathBuf {
        self.resolve(Path::new(p))
    }

    /// Resolves a path from a domain section against the config file's directory.
    fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

pub(crate) fn validate(
    raw: RawConfig,
    text: &str,
    origin: &str,
    base_dir: &Path,
) -> Result<Config, ConfigError> {
    let cx = Ctx {
        text,
        origin,
        base_dir,
    };
    let server = server(&cx, raw.server)?;
    let mut upstreams = Vec::with_capacity(raw.upstreams.len());
    let mut names = HashSet::new();
    for (i, u) in raw.upstreams.into_iter().enumerate() {
        if !names.insert(u.name.get_ref().clone()) {
            return cx.err(
                format!("upstreams[{i}].name"),
                Some(u.name.span()),
                format!("duplicate upstream name `{}`", u.name.get_ref()),
            );
        }
        upstreams.push(upstream(&cx, i, u)?);
    }
    let mut models = Vec::with_capacity(raw.models.len());
    let mut model_names = HashSet::new();
    for (i, m) in raw.models.into_iter().enumerate() {
        let name = m.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return cx.err(
                format!("models[{i}].name"),
                Some(m.name.span()),
                "must not be empty",
            );
        }
        if !model_names.insert(name.clone()) {
            return cx.err(
                format!("models[{i}].name"),
                Some(m.name.span()),
                format!("duplicate model name `{name}`"),
            );
        }
        if !names.contains(m.upstream.get_ref()) {
            return cx.err(
                format!("models[{i}].upstream"),
                Some(m.upstream.span()),
                format!("no upstream named `{}`", m.upstream.get_ref()),
            );
        }
        models.push(ModelRoute {
            upstream_model: m.rename.unwrap_or_else(|| name.clone()),
            name,
            upstream: m.upstream.into_inner(),
        });
    }
    let mut mcp_servers = Vec::with_capacity(raw.mcp_servers.len());
    let mut mcp_names = HashSet::new();
    for (i, m) in raw.mcp_servers.into_iter().enumerate() {
        if !mcp_names.insert(m.name.get_ref().clone()) {
            return cx.err(
                format!("mcp_servers[{i}].name"),
                Some(m.name.span()),
                format!("duplicate MCP server name `{}`", m.name.get_ref()),
            );
        }
        mcp_servers.push(mcp_server(&cx, i, m)?);
    }
    let auth = match raw.auth.mode.get_ref().as_str() {
        "none" => AuthConfig {
            mode: AuthMode::None,
        },
        "identity" => AuthConfig {
            mode: AuthMode::Identity,
        },
        other => {
            return cx.err(
                "auth.mode",
                Some(raw.auth.mode.span()),
                format!("unknown mode `{other}` (expected: identity or none)"),
            )
        }
    };
    // Sections owned by domain crates carry their own semantic checks; run them here so
    // `palisade config check` catches every mistake before a start does.
    if let Some(a) = &raw.audit {
        if let Err(e) = a.validate() {
            return cx.err("audit", None, e.to_string());
        }
    }
    if let Some(i) = &raw.identity {
        if let Err(e) = i.validate() {
            return cx.err("identity", None, e.to_string());
        }
    }
    if auth.mode == AuthMode::Identity && raw.identity.is_none() {
        return cx.err(
            "identity",
            None,
            "auth.mode = \"identity\" needs an [identity] section (trust domain, issuer, audience)",
        );
    }
    let mut policy = raw.policy;
    if let Some(p) = &mut policy {
        p.dir = cx.resolve(&p.dir);
        p.cases = p.cases.as_ref().map(|c| cx.resolve(c));
        if let Err(e) = p.validate() {
            return cx.err("policy", None, e.to_string());
        }
    }
    let mut inspect = raw.inspect;
    if let Some(i) = &mut inspect {
        if let Some(edm) = &mut i.edm {
            edm.csv = cx.resolve(&edm.csv);
        }
        if let Err(e) = i.validate() {
            return cx.err("inspect", None, e.to_string());
        }
    }
    let mut attest = raw.attest;
    if let Some(a) = &mut attest {
        if let Some(snp) = &mut a.sev_snp {
            for f in snp.amd_chain_files.values_mut() {
                *f = cx.resolve(f);
            }
        }
        if let Some(s) = &mut a.sigstore {
            s.trusted_root_file = cx.resolve(&s.trusted_root_file);
        }
        if let Some(s) = &mut a.scan {
            for f in &mut s.trusted_key_files {
                *f = cx.resolve(f);
            }
        }
    }
    if let Some(b) = &raw.behavior {
        if let Err(e) = b.validate() {
            return cx.err("behavior", None, e.to_string());
        }
    }
    Ok(Config {
        server,
        upstreams,
        models,
        mcp_servers,
        auth,
        identity: raw.identity,
        policy,
        inspect,
        behavior: raw.behavior,
        audit: raw.audit,
        attest,
    })
}

fn server(cx: &Ctx<'_>, s: RawServer) -> Result<ServerConfig, ConfigError> {
    let listen: SocketAddr = match s.listen.get_ref().parse() {
        Ok(a) => a,
        Err(_) => {
            return cx.err(
                "server.listen",
                Some(s.listen.span()),
                format!("`{}` is not an ip:port address", s.listen.get_ref()),
            )
        }
    };
    if s.data_dir.get_ref().trim().is_empty() {
        return cx.err(
            "server.data_dir",
            Some(s.data_dir.span()),
            "must not be empty",
        );
    }
    let tls = match (s.tls_cert, s.tls_key) {
        (None, None) => None,
        (Some(c), Some(k)) => Some(TlsFiles {
            cert: cx.path(c.get_ref()),
            key: cx.path(k.get_ref()),
        }),
        (Some(c), None) => {
            return cx.err(
                "server.tls_key",
                Some(c.span()),
                "tls_cert is set but tls_key is missing",
            )
        }
        (None, Some(k)) => {
            return cx.err(
                "server.tls_cert",
                Some(k.span()),
                "tls_key is set but tls_cert is missing",
            )
        }
    };
    let body_limit_bytes = match s.body_limit_bytes {
        None => DEFAULT_BODY_LIMIT,
        Some(v) if *v.get_ref() == 0 => {
            return cx.err(
                "server.body_limit_bytes",
                Some(v.span()),
                "must be greater than 0",
            )
        }
        Some(v) => *v.get_ref(),
    };
    let mut public_origins = Vec::new();
    for o in s.public_origins.unwrap_or_default() {
        match origin(o.get_ref()) {
            Some(n) => public_origins.push(n),
            None => {
                return cx.err(
                    "server.public_origins",
                    Some(o.span()),
                    format!("`{}` is not an https://host[:port] origin", o.get_ref()),
                )
            }
        }
    }
    let control_body_limit_bytes = positive(
        cx,
        "server.control_body_limit_bytes",
        s.control_body_limit_bytes,
        DEFAULT_CONTROL_BODY_LIMIT,
    )?;
    let max_connections = positive(cx, "server.max_connections", s.max_connections, 4096)?;
    let max_connections_per_source = positive(
        cx,
        "server.max_connections_per_source",
        s.max_connections_per_source,
        256,
    )?;
    Ok(ServerConfig {
        public_origins,
        control_body_limit_bytes,
        max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
        max_connections_per_source: usize::try_from(max_connections_per_source)
            .unwrap_or(usize::MAX),
        metrics_require_admin: s.metrics_require_admin,
        listen,
        data_dir: cx.path(s.data_dir.get_ref()),
        tls,
        request_client_cert: s.request_client_cert,
        body_limit_bytes,
        header_timeout: nonzero(cx, "server.header_timeout", s.header_timeout, 10)?,
        idle_timeout: nonzero(cx, "server.idle_timeout", s.idle_timeout, 60)?,
        request_timeout: nonzero(cx, "server.request_timeout", s.request_timeout, 30)?,
        shutdown_drain: s.shutdown_drain.unwrap_or(Duration::from_secs(30)),
    })
}

/// Default largest control-plane body: enrollment evidence with its certificate chain fits.
const DEFAULT_CONTROL_BODY_LIMIT: u64 = 64 * 1024;

fn positive(
    cx: &Ctx<'_>,
    field: &str,
    v: Option<Spanned<u64>>,
    default: u64,
) -> Result<u64, ConfigError> {
    match v {
        None => Ok(default),
        Some(v) if *v.get_ref() == 0 => cx.err(field, Some(v.span()), "must be greater than 0"),
        Some(v) => Ok(*v.get_ref()),
    }
}

/// `https://host[:port]` lowercased with `:443` dropped (the form DPoP `htu` is normalized
/// to), or `None` when it is not an https origin without path, query or userinfo.
fn origin(s: &str) -> Option<String> {
    let rest = s.strip_prefix("https://")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) || rest.contains(char::is_whitespace)
    {
        return None;
    }
    let host = rest.to_ascii_lowercase();
    let host = host.strip_suffix(":443").map(str::to_owned).unwrap_or(host);
    Some(format!("https://{host}"))
}

fn nonzero(
    cx: &Ctx<'_>,
    field: &str,
    v: Option<Duration>,
    default_secs: u64,
) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(Duration::from_secs(default_secs)),
        Some(d) if d.is_zero() => cx.err(field, None, "must be greater than 0"),
        Some(d) => Ok(d),
    }
}

fn destination(
    cx: &Ctx<'_>,
    field: &str,
    v: &Spanned<String>,
) -> Result<DestinationClass, ConfigError> {
    match v.get_ref().as_str() {
        "internal" => Ok(DestinationClass::Internal),
        "external" => Ok(DestinationClass::External),
        "vendor" => Ok(DestinationClass::Vendor),
        other => cx.err(
            field,
            Some(v.span()),
            format!("unknown destination `{other}` (expected: internal, external, vendor)"),
        ),
    }
}

fn mcp_server(cx: &Ctx<'_>, i: usize, m: RawMcpServer) -> Result<McpServerConfig, ConfigError> {
    let f = |name: &str| format!("mcp_servers[{i}].{name}");
    let name = m.name.get_ref().clone();
    // The federation splits `server__tool` at the first `__`; a name outside `[a-z0-9-]`
    // could make that split ambiguous.
    if !palisade_mcp::federation::valid_server_name(&name) {
        return cx.err(
            f("name"),
            Some(m.name.span()),
            "must be 1-32 characters of a-z, 0-9 and `-`",
        );
    }
    if m.segment.trim().is_empty() {
        return cx.err(f("segment"), Some(m.name.span()), "must not be empty");
    }
    if m.credential.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return cx.err(
            f("credential"),
            Some(m.name.span()),
            "must not be empty when set",
        );
    }
    Ok(McpServerConfig {
        url: base_url(cx, &f("url"), &m.url)?,
        destination: destination(cx, &f("destination"), &m.destination)?,
        name,
        segment: m.segment,
        credential: m.credential,
        ca_file: m.ca_file.map(|c| cx.path(c.get_ref())),
        auto_approve: m.auto_approve,
        connect_timeout: nonzero(cx, &f("connect_timeout"), m.connect_timeout, 5)?,
        timeout: nonzero(cx, &f("timeout"), m.timeout, 30)?,
    })
}

fn upstream(cx: &Ctx<'_>, i: usize, u: RawUpstream) -> Result<UpstreamConfig, ConfigError> {
    let f = |name: &str| format!("upstreams[{i}].{name}");
    let name = u.name.get_ref().trim().to_owned();
    if name.is_empty() {
        return cx.err(f("name"), Some(u.name.span()), "must not be empty");
    }
    let kind = match u.kind.get_ref().as_str() {
        "openai" => UpstreamKind::OpenAi,
        "anthropic" => UpstreamKind::Anthropic,
        "openai-compatible" => UpstreamKind::OpenAiCompatible,
        other => {
            return cx.err(
                f("kind"),
                Some(u.kind.span()),
                format!("unknown kind `{other}` (expected: openai, anthropic, openai-compatible)"),
            )
        }
    };
    let destination = destination(cx, &f("destination"), &u.destination)?;
    let base_url = base_url(cx, &f("base_url"), &u.base_url)?;
    if u.credential.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return cx.err(
            f("credential"),
            Some(u.name.span()),
            "must not be empty when set",
        );
    }
    Ok(UpstreamConfig {
        name,
        kind,
        base_url,
        credential: u.credential,
        destination,
        segment: u.segment,
        ca_file: u.ca_file.map(|c| cx.path(c.get_ref())),
        connect_timeout: nonzero(cx, &f("connect_timeout"), u.connect_timeout, 5)?,
        request_timeout: nonzero(cx, &f("request_timeout"), u.request_timeout, 60)?,
    })
}

/// Accepts `https://authority[/prefix]` or `http://` to a loopback host; returns it without a
/// trailing slash. Plain HTTP elsewhere would send the provider key in the clear.
fn base_url(cx: &Ctx<'_>, field: &str, v: &Spanned<String>) -> Result<String, ConfigError> {
    let url = v.get_ref().trim_end_matches('/');
    let span = Some(v.span());
    let (scheme, rest) = match url.split_once("://") {
        Some(p) => p,
        None => {
            return cx.err(
                field,
                span,
                format!("`{url}` is not an absolute http(s) url"),
            )
        }
    };
    if rest.contains(['?', '#', '@']) {
        return cx.err(
            field,
            span,
            "must not contain credentials, a query or a fragment",
        );
    }
    let authority = rest.split('/').next().unwrap_or("");
    let host = host_of(authority);
    if host.is_empty() {
        return cx.err(field, span, "has no host");
    }
    match scheme {
        "https" => Ok(url.to_owned()),
        "http" if is_loopback(host) => Ok(url.to_owned()),
        "http" => cx.err(
            field,
            span,
            format!("plain http is only allowed to loopback hosts, not `{host}` (use https)"),
        ),
        other => cx.err(
            field,
            span,
            format!("unsupported scheme `{other}` (expected https)"),
        ),
    }
}

fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
