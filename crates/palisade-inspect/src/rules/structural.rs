//! Secret rules, structural layer: credentials recognised by where they sit rather than by a
//! vendor prefix: secret-named keys in code/config/env/YAML/JSON/XML/INI/properties, `login ..
//! password ..` blocks, connection strings and URIs with credentials, command-line credential
//! flags, tokens in URL query strings, password hashes (bcrypt, crypt(3), argon2, Kerberos,
//! NTLM), webhook URLs, private keys in every encoding and service-account JSON.

use super::{Family::*, SecretRule as R, Validator as V};
use palisade_core::{Confidence as C, Severity as S};

/// Key names that hold passwords (the `[\w.-]` prefix such as `DB_`, `spring.datasource.` is
/// outside the match; the suffix such as `_hash`, `Confirm` is inside).
macro_rules! pw_key {
    () => {
        r#"(?i:passw(?:or)?d|passwd|pwd|pass|passphrase|kennwort|contrasena)(?:[_.-]?[A-Za-z0-9]+){0,3}"#
    };
}
/// Key names that hold tokens, keys and other secrets.
macro_rules! secret_key {
    () => {
        r#"(?i:secret|token|api[_.-]?key|apikey|access[_.-]?key|private[_.-]?key|client[_.-]?secret|auth[_.-]?(?:key|token|code|secret)|credentials?|license[_.-]?key|signing[_.-]?key|master[_.-]?key|encryption[_.-]?key|app[_.-]?key|session[_.-]?key|sas[_.-]?token|webhook[_.-]?secret)(?:[_.-]?[A-Za-z0-9]+){0,3}"#
    };
}
/// Assignment operators of code, config and env files (also `password "x"` in Gradle).
macro_rules! assign {
    () => {
        r#"["'`]?\]?[ \t]{0,4}(?::=|=>|=|:|[ \t])[ \t]{0,4}"#
    };
}

#[rustfmt::skip]
pub(super) const RULES: &[R] = &[
    R::new(Generic, "password-assignment-quoted", &[r#"passw"#, r#"pwd"#, r#"pass""#, r#"pass'"#, r#"pass="#, r#"pass:"#, r#"_pass"#, r#"passphrase"#],
        concat!(pw_key!(), assign!(), r#"(?:"([^"\s]{4,128})"|'([^'\s]{4,128})'|`([^`\s]{4,128})`)"#),
        r#"db.password = "Tr0ub4dor&3""#,
        r#"password = "Passwort""#)
        .entropy(0).check(V::QuotedPassword).conf(C::Medium).sev(S::High).window(16, 200),
    R::new(Generic, "password-assignment-bare", &[r#"passw"#, r#"pwd"#, r#"pass="#, r#"pass:"#, r#"_pass"#, r#"passphrase"#],
        concat!(pw_key!(), assign!(), r#"([^\s"'`,;#<>{}()\[\]&|$%@!*][^\s"'`,;<>{}()\[\]&|]{3,127})"#),
        r#"DB_PASSWORD=hX9#kq2LmW"#,
        r#"password=self.password"#)
        .entropy(0).check(V::BarePassword).conf(C::Medium).sev(S::High).window(16, 200),
    R::new(Generic, "password-xml-element", &[r#"passw"#, r#"pwd>"#],
        r#"<(?i:[\w:.-]*(?:passw(?:or)?d|pwd)[\w.-]*)>\s*([^<\s]{3,128})\s*</"#,
        r#"<server><id>nexus</id><username>deploy</username><password>n3xus-D3pl0y!</password></server>"#,
        r#"<password>${env.NEXUS_PASSWORD}</password>"#)
        .entropy(0).check(V::QuotedPassword).conf(C::Medium).sev(S::High).window(40, 200),
    R::new(Generic, "secret-xml-key-value", &[r#"value="#],
        r#"(?i:key|name)\s*=\s*"[\w.:-]*(?i:passw(?:or)?d|pwd|secret|token|api[_.-]?key|apikey|access[_.-]?key|connection[_.-]?string)[\w.:-]*"\s+(?i:value)\s*=\s*"([^"\s]{6,256})""#,
        r#"<add key="SmtpPassword" value="Xq7!vLp2Rt" />"#,
        r#"<add key="SmtpPassword" value="" />"#)
        .entropy(0).check(V::QuotedPassword).conf(C::Medium).sev(S::High).window(200, 200),
    R::new(Generic, "netrc-login-password", &[r#"login"#, r#"user"#],
        r#"(?i:\b(?:login|user(?:name)?)[ \t]+[^\s]{1,64}[ \t]+(?:password|passwd|pass)[ \t]+)([^\s]{3,128})"#,
        r#"machine api.corp.net login deploy password Kd83!mZq"#,
        r#"machine api.corp.net login deploy password $PW"#)
        .entropy(0).check(V::UriPassword).conf(C::Medium).sev(S::High).window(4, 240),
    R::new(Generic, "secret-assignment-quoted", &[r#"secret"#, r#"token"#, r#"api_key"#, r#"apikey"#, r#"api-key"#, r#"api.key"#, r#"access_key"#, r#"accesskey"#, r#"private_key"#, r#"credential"#, r#"auth_"#, r#"license_key"#, r#"app_key"#, r#"signing_key"#, r#"master_key"#, r#"encryption_key"#, r#"session_key"#],
        concat!(secret_key!(), assign!(), r#"(?:"([^"\s]{10,400})"|'([^'\s]{10,400})'|`([^`\s]{10,400})`)"#),
        r#"const stripeSecret = "q8Zr2LmP0vX7wKcTf3Hs""#,
        r#"token = "my-application-token-name""#)
        .entropy(0).check(V::TokenValue).conf(C::Medium).sev(S::High).window(24, 480),
    R::new(Generic, "secret-assignment-bare", &[r#"secret"#, r#"token"#, r#"api_key"#, r#"apikey"#, r#"api-key"#, r#"api.key"#, r#"access_key"#, r#"accesskey"#, r#"private_key"#, r#"credential"#, r#"auth_"#, r#"license_key"#, r#"app_key"#, r#"signing_key"#, r#"master_key"#, r#"encryption_key"#, r#"session_key"#],
        concat!(secret_key!(), assign!(), r#"([A-Za-z0-9+/_~.:=-]{10,400})(?:[\s,;&"'<)\]}]|$)"#),
        r#"ACME_API_KEY=Hk39dLq0pZ8xYt2vNb6w"#,
        r#"API_KEY=$ACME_API_KEY"#)
        .entropy(0).check(V::TokenValue).conf(C::Medium).sev(S::High).window(24, 480),
    R::new(Generic, "secret-cli-flag", &[r#"--pass"#, r#"-password"#, r#"--pwd"#, r#"--token"#, r#"--api-key"#, r#"--apikey"#, r#"--secret"#, r#"--client-secret"#, r#"--access-key"#, r#"--secret-key"#, r#"--auth-token"#, r#"-pass "#, r#"storepass"#, r#"keypass"#, r#"-passin"#, r#"-passout"#],
        r#"(?:^|[\s'"])--?(?i:password|passwd|pass|pwd|token|api-?key|secret|client-secret|access-key|secret-key|auth-token|storepass|keypass|srcstorepass|deststorepass|passin|passout)(?:[ \t]+|=|:)(?:pass:|env:)?(?:"([^"\s]{4,200})"|'([^'\s]{4,200})'|([^\s"'|;&<>`]{4,200}))"#,
        r#"Connect-VIServer -Server vc01 -User admin -Password 'Vm#2024prod'"#,
        r#"docker login --password-stdin < pw.txt"#)
        .entropy(0).check(V::BarePassword).conf(C::Medium).sev(S::High).window(4, 240),
    R::new(Generic, "secret-cli-short-flag", &[r#"mysql"#, r#"psexec"#, r#"sshpass"#, r#"smbclient"#, r#"sqlcmd"#, r#"redis-cli"#, r#"runas"#, r#"net use"#, r#"htpasswd"#, r#"mongo"#, r#"docker login"#, r#"wmic"#, r#"crackmapexec"#, r#"xfreerdp"#, r#"rdesktop"#, r#"winrs"#, r#"evil-winrm"#, r#"impacket"#, r#"mssqlclient"#, r#"rclone"#, r#"az login"#, r#"podman login"#, r#"helm registry login"#],
        r#"(?i:mysql(?:dump|admin)?|psexec(?:\.exe|64)?|sshpass|smbclient|sqlcmd|redis-cli|runas|net use|htpasswd(?: -b)?|mongo(?:sh|dump|restore)?|docker login|podman login|helm registry login|az login|wmic|crackmapexec|xfreerdp|rdesktop|winrs|evil-winrm|mssqlclient(?:\.py)?)\b[^\n|;&]{0,160}?[\s'"](?:-[pPaHw]|/p:|/password:|-pw)[ \t=]?(?:"([^"\s]{3,128})"|'([^'\s]{3,128})'|([^\s"'|;&<>`]{3,128}))"#,
        r#"psexec \\10.0.0.5 -u CORP\svc -p Winter2024! cmd.exe"#,
        r#"mysql -u root -p mydb"#)
        .entropy(0).check(V::CliPassword).conf(C::Medium).sev(S::High).window(0, 240),
    R::new(Generic, "secret-url-query", &[r#"token="#, r#"key="#, r#"secret="#, r#"sig="#, r#"password="#, r#"auth="#, r#"signature="#, r#"apikey="#, r#"code="#],
        r#"[?&;](?i:access_token|token|api[_-]?key|apikey|key|secret|client_secret|auth|auth_token|sig|signature|password|pwd|private_token|code)=([A-Za-z0-9_~.%+/=-]{10,512})"#,
        r#"GET https://api.vendor.io/v2/items?limit=10&access_token=9fA3kLz0Qm7TpX2wVb5N"#,
        r#"https://api.vendor.io/v2/items?token=${TOKEN}"#)
        .entropy(0).check(V::TokenValue).conf(C::Medium).sev(S::High).window(24, 520),
    R::new(Generic, "curl-credentials", &[r#"curl"#, r#"wget"#, r#"http -a"#, r#"--auth"#],
        r#"(?i:\b(?:curl|wget|https?|httpie)\b[^\n]{0,200}?\s(?:-u|--user|--http-user|-a|--auth)[ \t=]+)(?:"[^":\s]{1,64}:([^"\s]{3,128})"|'[^':\s]{1,64}:([^'\s]{3,128})'|[^\s:"']{1,64}:([^\s"']{3,128}))"#,
        r#"curl -s -u admin:secret https://jenkins.corp.net/api/json"#,
        r#"curl -u "$USER:$PASS" https://api.corp.net"#)
        .entropy(0).check(V::UriPassword).conf(C::Medium).sev(S::High).window(0, 400),
    R::new(Generic, "authorization-header-credential", &[r#"authorization"#, r#"x-api-key"#, r#"api-key:"#, r#"x-auth-token"#, r#"private-token"#, r#"x-access-token"#],
        r#"(?i:authorization["']?\s*[:=,]\s*["']?(?:bearer|token|basic|apikey|api-key|sso-key|ghp|bot|key)?[ \t]*|(?:x-api-key|api-key|x-auth-token|private-token|x-access-token|x-apikey)["']?\s*[:=,]\s*["']?)([A-Za-z0-9_~.+/=:-]{12,1024})"#,
        r#"-H "X-Api-Key: 7fQ2mLx9Vr3Tz8Kp1Wn4""#,
        r#"-H "Authorization: Bearer $TOKEN""#)
        .entropy(0).check(V::TokenValue).conf(C::Medium).sev(S::High).window(8, 1100),
    R::new(Database, "uri-embedded-credentials", &[r#"://"#],
        r#"\b[A-Za-z][A-Za-z0-9+.-]{1,24}://[^\s:/@"'<>]{0,64}:([^\s@/"'<>]{1,128})@[A-Za-z0-9._\[\]-]+"#,
        r#"amqp://app:secret@localhost:5672/"#,
        r#"https://user:password@example.com/"#)
        .entropy(0).check(V::UriPassword).conf(C::High).sev(S::Critical).window(28, 300),
    R::new(Database, "connection-string-password", &[r#"password="#, r#"pwd="#, r#"password ="#, r#"pwd ="#],
        r#"(?i:(?:^|[;"'\s])(?:password|pwd)\s*=\s*)(?:"([^"]{3,128})"|'([^']{3,128})'|([^;"'\s<>{}]{3,128}))"#,
        r#"Driver={ODBC Driver 18 for SQL Server};Server=db01;Uid=app;Pwd=sQl!2024x;"#,
        r#"Server=db01;User Id=app;Password=;"#)
        .entropy(0).check(V::ConnPassword).conf(C::High).sev(S::Critical).window(4, 200),
    R::new(Cloud, "azure-connection-string-key", &[r#"accountkey="#, r#"sharedaccesskey="#, r#"sharedaccesssignature="#, r#"sharedsecretvalue="#],
        r#"(?i:AccountKey|SharedAccessKey|SharedAccessSignature|SharedSecretValue)=([A-Za-z0-9+/%=&:._-]{20,512})"#,
        r#"Endpoint=sb://corp-bus.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo="#,
        r#"AccountKey=${STORAGE_KEY}"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::Critical).window(4, 520),
    R::new(Keys, "hash-bcrypt", &[r#"$2a$"#, r#"$2b$"#, r#"$2y$"#, r#"$2x$"#],
        r#"(\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53})"#,
        r#"admin:$2b$12$KIXQJ4o5V1ZkT1yq3nV9QeJ1xG6m8yW3wZl0PdFhR2sTuV7aBcDeK"#,
        r#"$2b$12$short"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(0, 80),
    R::new(Keys, "hash-crypt-sha", &[r#"$6$"#, r#"$5$"#, r#"$1$"#, r#"$y$"#, r#"$apr1$"#],
        r#"(\$(?:6|5|1|apr1)\$(?:rounds=\d{1,9}\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}|\$y\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{1,64}\$[./A-Za-z0-9]{43})"#,
        r#"root:$6$Qw7Lp2Xz$Hk3n9VvT1yR0pLm8sD4fG6hJ2kL5zX7cV9bN1mQ3wE5rT7yU9iO1pA3sD5fG7hJ9kL1zX3cV5bN7mQ9wE1r0:19000:0:99999:7:::"#,
        r#"$6$ is the SHA-512 crypt prefix"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(0, 140),
    R::new(Keys, "hash-argon2", &[r#"$argon2"#],
        r#"(\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{8,}\$[A-Za-z0-9+/]{16,})"#,
        r#"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$Jq8rX2kLm0pVt5Wn7Yb3Zc9Df1Gh4"#,
        r#"$argon2id$v=19$m=65536,t=3,p=4$"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(0, 200),
    R::new(Keys, "hash-django-pbkdf2", &[r#"pbkdf2_sha"#],
        r#"(pbkdf2_sha(?:1|256)\$\d{3,7}\$[A-Za-z0-9./+]{4,64}\$[A-Za-z0-9+/=]{27,88})"#,
        r#"pbkdf2_sha256$600000$nq9Xk2Lm$Zk8rX2kLm0pVt5Wn7Yb3Zc9Df1Gh4Jk6Lm8Nq0Pr2S="#,
        r#"pbkdf2_sha256 is the default hasher"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(0, 200),
    R::new(Keys, "hash-kerberos", &[r#"$krb5asrep$"#, r#"$krb5tgs$"#, r#"$krb5pa$"#],
        r#"(\$krb5(?:asrep|tgs|pa)\$[^\s]{0,200}?\$[a-fA-F0-9]{16,}(?:\$[a-fA-F0-9]{32,})?)"#,
        r#"$krb5asrep$23$svc_backup@CORP.LOCAL:3e1f7c9a0b2d4f6e8a1c3e5f7a9b0d2c$4d6f8a0c2e4f6a8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4f6a8b0d2f4a6c8e0b"#,
        r#"AS-REP hashes start with $krb5asrep$"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(0, 8192),
    R::new(Keys, "hash-ntlm-pwdump", &[r#":::"#],
        r#"(?:^|\s)([^\s:]{1,64}:\d{1,10}:[a-fA-F0-9]{32}:[a-fA-F0-9]{32}):::"#,
        r#"Administrator:500:aad3b435b51404eeaad3b435b51404ee:8846f7eaee8fb117ad06bdd830b7586c:::"#,
        r#"Guest:501:aad3b435b51404eeaad3b435b51404ee:-:::"#)
        .entropy(0).check(V::None).conf(C::High).sev(S::High).window(140, 4),
    R::new(Chat, "teams-webhook-url", &[r#"webhook.office.com"#, r#"outlook.office.com/webhook"#, r#"outlook.office365.com/webhook"#],
        r#"(https://(?:[a-z0-9-]+\.webhook\.office\.com/webhookb2|outlook\.office(?:365)?\.com/webhook)/[A-Za-z0-9@/_-]{40,400})"#,
        r#"https://contoso.webhook.office.com/webhookb2/a1b2c3d4-0000-4a4a-9b9b-111122223333@e5f6a7b8-1111-4c4c-8d8d-444455556666/IncomingWebhook/0f1e2d3c4b5a69788796a5b4c3d2e1f0/99998888-7777-4666-9555-444433332222/V2abcDEF"#,
        r#"https://contoso.webhook.office.com/webhookb2/"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(64, 480),
    R::new(Chat, "azure-logic-app-webhook", &[r#".logic.azure.com"#],
        r#"(https://[a-z0-9.-]+\.logic\.azure\.com(?::443)?/workflows/[a-f0-9]{32}/triggers/[^\s"'<>]{0,200}?sig=[A-Za-z0-9_%-]{40,50})"#,
        r#"https://prod-27.westeurope.logic.azure.com:443/workflows/0f1e2d3c4b5a69788796a5b4c3d2e1f0/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Xk3mLq9Zt2Vw8Np4Rb6Yc1Hd5Jf7Gs0Ke3Ua9Ti2Oe4W"#,
        r#"https://prod-27.westeurope.logic.azure.com/workflows/"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(40, 480),
    R::new(Chat, "chat-webhook-url", &[r#"hooks.slack.com/"#, r#"/api/webhooks/"#, r#"chat.googleapis.com/v1/spaces"#, r#"hooks.zapier.com/hooks"#, r#"/hooks/"#],
        r#"(https://(?:hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,80}|(?:[a-z0-9-]+\.)?discord(?:app)?\.com/api/webhooks/\d{15,22}/[A-Za-z0-9_-]{40,80}|chat\.googleapis\.com/v1/spaces/[A-Za-z0-9_-]+/messages\?[^\s"'<>]*token=[A-Za-z0-9_%=-]{20,}|hooks\.zapier\.com/hooks/catch/\d+/[A-Za-z0-9]{5,}/?|[a-z0-9.-]+/hooks/[a-z0-9]{26}))"#,
        r#"https://discord.com/api/webhooks/112233445566778899/Zr3Kq9Lm2Xv8Tp4Wn6Yb1Hc5Jd7Gf0Ks3Ua9Ti2Oe4Wq6Ry8Es1Dz3Fx5Gv7Hb9"#,
        r#"https://discord.com/api/webhooks/123/abc"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(20, 400),
    R::new(Keys, "private-key-pem", &[r#"private key-----"#, r#"private key block-----"#],
        r#"(-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,]|\\+[nrt]|-[A-Za-z0-9])*(?:-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----)?)"#,
        "{\"key\": \"-----BEGIN RSA PRIVATE KEY-----\\\\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\\\\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\\\\n-----END RSA PRIVATE KEY-----\"}",
        r#"The header -----BEGIN PRIVATE KEY----- starts the file."#)
        .entropy(0).check(V::PemBody).conf(C::High).sev(S::Critical).window(16, 16384),
    R::new(Keys, "private-key-der-base64", &[r#"ibadanbgkqhkig9w0baqefaasc"#, r#"ibaakcaqea"#, r#"ibaakcagea"#, r#"ibaakbgq"#, r#"mbmgbyqgsm49ageg"#, r#"mc4caqawbqydk2vwbcie"#, r#"b3blbnnzac1rzxktdjea"#],
        r#"((?:MII[A-Za-z0-9+/]{1,3}(?:IBADANBgkqhkiG9w0BAQEFAASC|IBAAKCAQEA|IBAAKCAgEA|IBAAKBgQ)|MIG[A-Za-z0-9+/]{1,2}AgEAMBMGByqGSM49AgEG|MC4CAQAwBQYDK2VwBCIEI|b3BlbnNzaC1rZXktdjEA)(?:[A-Za-z0-9+/=]|\\+[nr]|\r?\n){40,})"#,
        r#"RSA_KEY=MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvuNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEov"#,
        r#"MIIEvQ is how a DER base64 starts"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(12, 16384),
    R::new(Keys, "pkcs12-base64", &[r#"csqgsib3dqehaacc"#],
        r#"\b(MII[A-Za-z0-9+/]{2,6}IBAzCC[A-Za-z0-9+/]{2,5}CSqGSIb3DQEHAaCC[A-Za-z0-9+/]{200,}={0,2})"#,
        r#"cert.p12.b64: MIIKUQIBAzCCChcGCSqGSIb3DQEHAaCCCggEggoEMIIKADCCBgoGCSqGSIb3DQEHAaCCBfsEggX3MIIF8zCCBe8GCyqGSIb3DQEMCgECoIIE/jCCBPowHAYKKoZIhvcNAQwBAzAOBAiAAgEDMIIUqN2ZxYy2wICB9AEggTYe4uaRqFhtIyGa0l0r3i9mCzvwX2cP+5tvQFa4NYi3p7xD2kPc6BM8g3uGQmRSq5u7J3hK5yWjXm0eZpPfsI3LvNgH7jT1W4cAxQ9uB2rE6fD8"#,
        r#"MIIKUQIBAzCCChcGCSqGSIb3DQEHAaCC"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(16, 16384),
    R::new(Keys, "putty-private-key-any-escaping", &[r#"putty-user-key-file-"#],
        r#"(PuTTY-User-Key-File-\d: [^\r\n\\]{4,64}(?:[^P]|P[^r]){0,3000}?Private-Lines: \d+(?:\r?\n|\\+n)(?:[A-Za-z0-9+/=]|\r?\n|\\+n){40,})"#,
        r#"{"ppk": "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: deploy\nPublic-Lines: 1\nAAAAB3NzaC1yc2EAAAADAQABAAABAQC7\nPrivate-Lines: 1\nAAABAQCX4dQ7Pp2yN9mXk3LqZt8Vw0Rb6Jc1Hd5Gf7Ks3Ua9Ti2Oe4Wq6Ry8Es1\n"}"#,
        r#"PuTTY-User-Key-File-3: ssh-ed25519 is the header of a .ppk file"#)
        .entropy(0).check(V::None).conf(C::High).sev(S::Critical).window(0, 8192),
    R::new(Cloud, "gcp-service-account-json", &[r#"service_account"#],
        r#"(\\*"type\\*"\s*:\s*\\*"service_account\\*"[\s\S]{0,4000}?\\*"private_key\\*"\s*:\s*\\*"-----BEGIN (?:RSA )?PRIVATE KEY-----(?:\\+[nr]|[A-Za-z0-9+/=\s]){64,})"#,
        r#"{"type": "service_account", "project_id": "p", "private_key_id": "ab", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\\n-----END PRIVATE KEY-----\\n"}"#,
        r#"{"type": "service_account", "client_email": "svc@p1.iam.gserviceaccount.com"}"#)
        .entropy(0).check(V::PemBody).conf(C::High).sev(S::Critical).window(16, 8192),
    R::new(Cloud, "gcp-service-account-json-key-first", &[r#"private_key""#, r#"private_key\""#],
        r#"(\\*"private_key\\*"\s*:\s*\\*"-----BEGIN (?:RSA )?PRIVATE KEY-----(?:\\+[nr]|[A-Za-z0-9+/=\s]){64,}[\s\S]{0,4000}?\\*"type\\*"\s*:\s*\\*"service_account\\*")"#,
        r#"{"private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n", "type": "service_account"}"#,
        r#"{"private_key": "", "type": "service_account"}"#)
        .entropy(0).check(V::PemBody).conf(C::High).sev(S::Critical).window(16, 8192),
    R::new(Generic, "password-define-call", &[r#"define("#, r#"define ("#, r#"setenv("#, r#"putenv("#],
        concat!(r#"(?i:define|setenv|putenv)\s*\(\s*["'][\w.-]*"#, pw_key!(), r#"["']\s*,\s*(?:"([^"\s]{4,128})"|'([^'\s]{4,128})')"#),
        r#"define('DB_PASSWORD', 'haRbOr58?');"#,
        r#"define('DB_PASSWORD', getenv('DB_PASSWORD'));"#)
        .entropy(0).check(V::QuotedPassword).conf(C::Medium).sev(S::High).window(0, 200),
    R::new(Generic, "powershell-plaintext-securestring", &[r#"convertto-securestring"#],
        r#"(?i:ConvertTo-SecureString)\s+(?:-String\s+)?(?:"([^"]{3,128})"|'([^']{3,128})')\s+[^\n]{0,40}?-AsPlainText"#,
        r#"$pw = ConvertTo-SecureString 'Falcon2024%' -AsPlainText -Force"#,
        r#"$pw = ConvertTo-SecureString $env:PW -AsPlainText -Force"#)
        .entropy(0).check(V::UriPassword).conf(C::High).sev(S::High).window(0, 240),
    R::new(Generic, "net-use-password", &[r#"net use"#],
        r#"(?i:\bnet use\b[^\n]{0,160}?/user:[^\s]{1,64}[ \t]+)([^\s/*"'][^\s"']{2,127})"#,
        r#"net use Z: \\fs01\share /user:CORP\bob Rocket2023&"#,
        r#"net use Z: \\fs01\share /user:CORP\bob * /persistent:no"#)
        .entropy(0).check(V::CliPassword).conf(C::Medium).sev(S::High).window(0, 240),
    R::new(Database, "userinfo-at-local-host", &[r#"@localhost"#, r#"@127.0.0.1"#, r#"@0.0.0.0"#, r#"@[::1]"#, r#"@db"#, r#"@postgres"#, r#"@mysql"#, r#"@redis"#, r#"@mongo"#, r#"@rabbit"#],
        r#"(?:^|[\s"'=(,])[A-Za-z_][\w.-]{0,31}:([^\s:@/"'<>]{3,64})@(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|(?:db|postgres|mysql|redis|mongo|rabbit)[\w.-]{0,40})(?:[:/\s"']|$)"#,
        r#"user:secret@localhost"#,
        r#"user:password@localhost"#)
        .entropy(0).check(V::UriPassword).conf(C::Medium).sev(S::High).window(110, 60),
];
