//! Labeled corpora built in code for the evaluation harness and the benchmarks: credentials in
//! their documented formats with random payloads, Faker-style PII, real source code from the
//! local cargo registry as negatives, and generated prose.
#![allow(dead_code)]

use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const UPPER_NUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const HEX: &[u8] = b"0123456789abcdef";
pub const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const LOWER_NUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

pub fn pick(r: &mut StdRng, set: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| set[r.gen_range(0..set.len())] as char)
        .collect()
}

fn uuid(r: &mut StdRng) -> String {
    format!(
        "{}-{}-4{}-a{}-{}",
        pick(r, HEX, 8),
        pick(r, HEX, 4),
        pick(r, HEX, 3),
        pick(r, HEX, 3),
        pick(r, HEX, 12)
    )
}

fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// (format name, credential) in the provider's documented shape.
pub fn credential(r: &mut StdRng, kind: usize) -> (&'static str, String) {
    match kind % 30 {
        0 => ("aws-access-key", format!("AKIA{}", pick(r, B32, 16))),
        1 => ("aws-secret-key", format!("aws_secret_access_key = {}", pick(r, B64, 40))),
        2 => ("github-pat", format!("ghp_{}", pick(r, ALNUM, 36))),
        3 => ("github-fine-grained", format!("github_pat_{}_{}", pick(r, ALNUM, 22), pick(r, ALNUM, 59))),
        4 => ("gitlab-pat", format!("glpat-{}", pick(r, ALNUM, 20))),
        5 => ("slack-bot", format!("xoxb-{}-{}-{}", pick(r, b"0123456789", 12), pick(r, b"0123456789", 13), pick(r, ALNUM, 24))),
        6 => ("stripe-live", format!("sk_live_{}", pick(r, ALNUM, 24))),
        7 => ("openai", format!("sk-proj-{}T3BlbkFJ{}", pick(r, ALNUM, 74), pick(r, ALNUM, 74))),
        8 => ("anthropic", format!("sk-ant-api03-{}AA", pick(r, ALNUM, 93))),
        9 => ("huggingface", format!("hf_{}", pick(r, LETTERS, 34))),
        10 => ("npm", format!("npm_{}", pick(r, ALNUM, 36))),
        11 => ("pypi", format!("pypi-AgEIcHlwaS5vcmc{}", pick(r, ALNUM, 70))),
        12 => ("gcp-api-key", format!("AIza{}", pick(r, ALNUM, 35))),
        13 => ("sendgrid", format!("SG.{}.{}", pick(r, ALNUM, 22), pick(r, ALNUM, 43))),
        14 => ("postgres-url", format!("postgres://svc_app:{}@db-{}.internal:5432/prod", pick(r, ALNUM, 18), pick(r, LOWER_NUM, 4))),
        15 => ("mongodb-url", format!("mongodb+srv://admin:{}@cluster0.{}.mongodb.net/", pick(r, ALNUM, 16), pick(r, LOWER_NUM, 5))),
        16 => ("azure-storage", format!("DefaultEndpointsProtocol=https;AccountName=st{};AccountKey={}==;EndpointSuffix=core.windows.net", pick(r, LOWER_NUM, 6), pick(r, B64, 86))),
        17 => ("jwt", {
            let h = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
            let p = b64url(format!(r#"{{"sub":"{}","iat":1700000000}}"#, pick(r, LOWER_NUM, 10)).as_bytes());
            format!("{h}.{p}.{}", pick(r, ALNUM, 43))
        }),
        18 => ("k8s-sa-token", {
            let h = b64url(format!(r#"{{"alg":"RS256","kid":"{}"}}"#, pick(r, ALNUM, 20)).as_bytes());
            let p = b64url(format!(r#"{{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"default","sub":"system:serviceaccount:default:{}"}}"#, pick(r, LOWER_NUM, 8)).as_bytes());
            format!("{h}.{p}.{}", pick(r, ALNUM, 86))
        }),
        19 => ("pem-rsa", {
            let body: String = (0..12).map(|_| format!("{}\n", pick(r, B64, 64))).collect();
            format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----")
        }),
        20 => ("openssh", {
            let body: String = (0..8).map(|_| format!("{}\n", pick(r, B64, 70))).collect();
            format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{body}-----END OPENSSH PRIVATE KEY-----")
        }),
        21 => ("gcp-service-account", format!(
            r#"{{"type": "service_account", "project_id": "p-{}", "private_key_id": "{}", "private_key": "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n"}}"#,
            pick(r, LOWER_NUM, 6), pick(r, HEX, 40), pick(r, B64, 200)
        )),
        22 => ("twilio-api-key", format!("TWILIO_API_KEY=SK{}", pick(r, HEX, 32))),
        23 => ("digitalocean", format!("dop_v1_{}", pick(r, HEX, 64))),
        24 => ("shopify", format!("shpat_{}", pick(r, HEX, 32))),
        25 => ("groq", format!("gsk_{}", pick(r, ALNUM, 52))),
        26 => ("docker-pat", format!("dckr_pat_{}", pick(r, ALNUM, 27))),
        27 => ("telegram", format!("{}:AA{}", pick(r, b"0123456789", 10), pick(r, ALNUM, 33))),
        28 => ("vault", format!("hvs.{}", pick(r, ALNUM, 95))),
        _ => ("generic-api-key", format!("api_key = \"{}\"", pick(r, ALNUM, 32))),
    }
}

const CONTEXTS: [&str; 6] = [
    "export SERVICE_CREDENTIAL={}\n",
    "config = {{\n    \"credential\": \"{}\",\n    \"region\": \"us-east-1\"\n}}\n",
    "Hey, can you check why this fails? I'm using {} in the deploy script.\n",
    "let client = Client::new(\"{}\");\n",
    "# .env\nDEBUG=false\nTOKEN_VALUE={}\n",
    "<config><value>{}</value></config>\n",
];

pub fn in_context(r: &mut StdRng, secret: &str) -> String {
    CONTEXTS[r.gen_range(0..CONTEXTS.len())]
        .replace("{}", secret)
        .replace("{{", "{")
        .replace("}}", "}")
}

const FIRST: &[&str] = &[
    "James", "Maria", "Wei", "Aisha", "Lukas", "Sofia", "Kenji", "Olga", "Diego", "Priya", "Noah",
    "Emma", "Omar", "Chloe", "Ivan",
];
const LAST: &[&str] = &[
    "Smith", "Garcia", "Chen", "Khan", "Muller", "Rossi", "Tanaka", "Ivanova", "Lopez", "Patel",
    "Brown", "Martin", "Haddad", "Dubois", "Petrov",
];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "acme-corp.io",
    "fastmail.fm",
    "proton.me",
    "yahoo.co.uk",
];

pub fn name(r: &mut StdRng) -> String {
    format!(
        "{} {}",
        FIRST[r.gen_range(0..FIRST.len())],
        LAST[r.gen_range(0..LAST.len())]
    )
}

fn luhn_complete(prefix: &str, len: usize, r: &mut StdRng) -> String {
    let mut d: Vec<u32> = prefix.chars().filter_map(|c| c.to_digit(10)).collect();
    while d.len() < len - 1 {
        d.push(r.gen_range(0..10));
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 0 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    d.push((10 - sum % 10) % 10);
    d.iter()
        .map(|x| char::from_digit(*x, 10).unwrap())
        .collect()
}

fn iban(r: &mut StdRng) -> String {
    let bban = format!(
        "{}{}",
        pick(r, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4),
        pick(r, b"0123456789", 14)
    );
    let rearranged = format!("{bban}GB00");
    let mut rem: u64 = 0;
    for c in rearranged.chars() {
        let v = c.to_digit(36).unwrap() as u64;
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    let check = 98 - rem;
    let raw = format!("GB{check:02}{bban}");
    raw.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// (PII kind, text containing it) in Faker style.
pub fn pii(r: &mut StdRng, kind: usize) -> (&'static str, String) {
    let n = name(r);
    match kind % 5 {
        0 => {
            let (f, l) = n.split_once(' ').unwrap();
            (
                "email",
                format!(
                    "Please reach {n} at {}.{}@{}.",
                    f.to_lowercase(),
                    l.to_lowercase(),
                    DOMAINS[r.gen_range(0..DOMAINS.len())]
                ),
            )
        }
        1 => (
            "phone",
            format!(
                "{n}, phone: ({}{}) {}{}-{}",
                r.gen_range(2..10),
                pick(r, b"0123456789", 2),
                r.gen_range(2..10),
                pick(r, b"0123456789", 2),
                pick(r, b"0123456789", 4)
            ),
        ),
        2 => {
            let area = loop {
                let a = r.gen_range(1..900);
                if a != 666 {
                    break a;
                }
            };
            (
                "ssn",
                format!(
                    "Employee {n}, SSN {area:03}-{:02}-{:04}",
                    r.gen_range(1..100),
                    r.gen_range(1..10000)
                ),
            )
        }
        3 => {
            let c = luhn_complete(["4", "51", "37"][r.gen_range(0..3)], 16, r);
            let c = if c.starts_with("37") {
                luhn_complete("37", 15, r)
            } else {
                c
            };
            let grouped = c
                .as_bytes()
                .chunks(4)
                .map(|x| std::str::from_utf8(x).unwrap())
                .collect::<Vec<_>>()
                .join(" ");
            ("card", format!("Charge the card {grouped} for {n}."))
        }
        _ => (
            "iban",
            format!("Wire the refund to IBAN {} ({n}).", iban(r)),
        ),
    }
}

/// PII-shaped negatives: numbers that must not be reported.
pub fn pii_negative(r: &mut StdRng, kind: usize) -> String {
    match kind % 5 {
        0 => format!(
            "build {}.{}.{} released on 2024-0{}-1{}",
            r.gen_range(0..9),
            r.gen_range(0..20),
            r.gen_range(0..99),
            r.gen_range(1..9),
            r.gen_range(0..9)
        ),
        1 => format!(
            "order #{} shipped, tracking {}",
            pick(r, b"0123456789", 7),
            pick(r, UPPER_NUM, 12)
        ),
        2 => {
            // A 16-digit Visa-shaped number that fails Luhn (the last digit is off by one).
            let good = luhn_complete("4", 16, r);
            let last = good
                .chars()
                .last()
                .and_then(|c| c.to_digit(10))
                .unwrap_or(0);
            let bad = format!("{}{}", &good[..15], (last + 1) % 10);
            let g = bad
                .as_bytes()
                .chunks(4)
                .map(|x| std::str::from_utf8(x).unwrap())
                .collect::<Vec<_>>()
                .join(" ");
            format!("invoice total {g} due")
        }
        3 => format!("ref GB00 TEST {} 0000", pick(r, b"0123456789", 4)),
        _ => format!(
            "the meeting is in room {} at {}:{}0",
            r.gen_range(100..999),
            r.gen_range(8..18),
            r.gen_range(0..6)
        ),
    }
}

const PROSE: &[&str] = &[
    "the",
    "model",
    "training",
    "pipeline",
    "results",
    "and",
    "we",
    "observed",
    "that",
    "evaluation",
    "of",
    "latency",
    "improved",
    "after",
    "the",
    "migration",
    "to",
    "a",
    "new",
    "cluster",
    "team",
    "reviewed",
    "design",
    "with",
    "customers",
    "in",
    "quarterly",
    "planning",
    "budget",
    "was",
    "approved",
    "for",
    "next",
    "year",
    "research",
    "infrastructure",
    "data",
    "quality",
    "issues",
    "remain",
    "open",
    "while",
    "deployment",
    "continues",
    "across",
    "regions",
];

pub fn prose(r: &mut StdRng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 16);
    let mut w = 0;
    while s.len() < bytes {
        let word = PROSE[r.gen_range(0..PROSE.len())];
        if w == 0 {
            let mut c = word.chars();
            s.extend(c.next().map(|x| x.to_ascii_uppercase()));
            s.push_str(c.as_str());
        } else {
            s.push_str(word);
        }
        w += 1;
        if w > r.gen_range(8..20) {
            s.push_str(". ");
            w = 0;
            if r.gen_ratio(1, 6) {
                s.push_str("\n\n");
            }
        } else {
            s.push(' ');
        }
    }
    s
}

/// Real source files from the local cargo registry, up to `max_bytes`, in a stable order.
pub fn registry_sources(max_bytes: usize) -> Vec<(PathBuf, String)> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let root = home.join(".cargo/registry/src");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut out = Vec::new();
    let mut total = 0;
    for p in files {
        if total >= max_bytes {
            break;
        }
        if let Ok(t) = std::fs::read_to_string(&p) {
            if t.len() > 2_000_000 {
                continue;
            }
            total += t.len();
            out.push((p, t));
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "rs" || x == "md" || x == "toml")
        {
            out.push(p);
        }
    }
}
