//! Secret rules, family table: Database connection strings with passwords, private keys (PEM, OpenSSH, PGP, PuTTY), JWTs and Kubernetes tokens.
//! Generated once from a rule sheet; each row carries a true- and a false-positive example that
//! the table-driven test in `rules::tests` checks.

use super::{Family::*, SecretRule as R, Validator as V};
use palisade_core::{Confidence as C, Severity as S};

#[rustfmt::skip]
pub(super) const RULES: &[R] = &[
    R::new(Database, "postgres-uri-password", &[r#"postgres"#, r#"pgsql"#],
        r#"\b(?:postgres(?:ql)?|pgsql)(?:\+\w+)?://[^\s:/@"']{1,64}:([^\s@/"'<>]{3,128})@[A-Za-z0-9._-]+"#,
        r#"DATABASE_URL=postgres://app:bNiN3bhCIRtSypWdie62@db.internal:5432/app"#,
        r#"postgres://localhost:5432/app"#)
        .entropy(0).check(V::UriPassword).conf(C::High).sev(S::Critical).window(4, 320),
    R::new(Database, "mysql-uri-password", &[r#"mysql"#, r#"mariadb"#],
        r#"\b(?:mysql|mariadb)(?:\+\w+)?://[^\s:/@"']{1,64}:([^\s@/"'<>]{3,128})@[A-Za-z0-9._-]+"#,
        r#"mysql://root:QBGuhWN4cOlf72NW@10.0.0.5/db"#,
        r#"mysql://root@10.0.0.5/db"#)
        .entropy(0).check(V::UriPassword).conf(C::High).sev(S::Critical).window(4, 320),
    R::new(Database, "mongodb-uri-password", &[r#"mongodb"#],
        r#"\bmongodb(?:\+srv)?://[^\s:/@"']{1,64}:([^\s@/"'<>]{3,128})@[A-Za-z0-9._-]+"#,
        r#"mongodb+srv://admin:2HB1VQK6UYO3fF7ZXx@cluster0.abcde.mongodb.net/"#,
        r#"mongodb://cluster0.abcde.mongodb.net/"#)
        .entropy(0).check(V::UriPassword).conf(C::High).sev(S::Critical).window(4, 320),
    R::new(Database, "redis-uri-password", &[r#"redis://"#, r#"rediss://"#],
        r#"\brediss?://[^\s:/@"']{0,64}:([^\s@/"'<>]{3,128})@[A-Za-z0-9._-]+"#,
        r#"REDIS_URL=rediss://default:k0bIkvJBSSMMUA0QDYq9gc4n@redis.internal:6380"#,
        r#"redis://localhost:6379/0"#)
        .entropy(0).check(V::UriPassword).conf(C::High).sev(S::Critical).window(4, 320),
    R::new(Database, "amqp-uri-password", &[r#"amqp"#],
        r#"\bamqps?://[^\s:/@"']{1,64}:([^\s@/"'<>]{3,128})@[A-Za-z0-9._-]+"#,
        r#"amqp://svc:5oCjktgiBdMVoEk9@rabbit:5672/"#,
        r#"amqp://guest@rabbit:5672/"#)
        .entropy(0).check(V::UriPassword).conf(C::High).sev(S::High).window(4, 320),
    R::new(Database, "mssql-connection-string-password", &[r#"password="#, r#"pwd="#],
        r#"(?i:(?:server|data source|host)=[^;"']{1,128};[^"'\n]{0,200}?(?:password|pwd)=)([^;"'\s]{3,128})"#,
        r#"Server=tcp:db.windows.net,1433;Initial Catalog=app;User ID=sa;Password=FKjf9KOK9ubjVLB4;"#,
        r#"Server=tcp:db.windows.net;Password=;"#)
        .entropy(0).check(V::ConnPassword).conf(C::High).sev(S::Critical).window(360, 320),
    R::new(Database, "jdbc-password", &[r#"jdbc:"#],
        r#"jdbc:[a-z0-9]+:[^\s"']{0,200}?[?&;](?i:password)=([^&;\s"']{3,128})"#,
        r#"jdbc:postgresql://db:5432/app?user=app&password=gUqSyv8PRFKDPaoX"#,
        r#"jdbc:postgresql://db:5432/app?user=app"#)
        .entropy(0).check(V::ConnPassword).conf(C::High).sev(S::Critical).window(4, 400),
    R::new(Database, "ldap-bind-password", &[r#"ldap_bind"#, r#"ldap-bind"#, r#"ldapbind"#],
        r#"(?i:ldap[_-]?bind[_-]?(?:pw|password|credentials?))[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([^\s"']{8,64})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"LDAP_BIND_PASSWORD=VE2dLyoQoopX79wb"#,
        r#"LDAP_BIND_PASSWORD=${LDAP_PW}"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Database, "snowflake-password", &[r#"snowflake"#],
        r#"(?i:snowflake[\w]*password)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([^\s"']{8,64})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"SNOWFLAKE_PASSWORD=K8cIf9BM6AW3U0gu"#,
        r#"SNOWFLAKE_PASSWORD=${PW}"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Keys, "private-key-rsa", &[r#"begin rsa private key"#],
        r#"(-----BEGIN RSA PRIVATE KEY-----(?:[A-Za-z0-9+/=\s:,]|-[A-Za-z0-9])*(?:-----END [A-Z ]{0,20}PRIVATE KEY(?: BLOCK)?-----)?)"#,
        r#"-----BEGIN RSA PRIVATE KEY-----
lip7P4WPi2qy1emw0Xwy4GMXeUfNFZLtcAuC9MtdHvzSGFqA4jzgQmoCUpBkE5st
iLdW00Gzt7uP85YNkYU846mlqnVWpY26HSyS9cm6K6G9xTGMSkt+PcL/bwHuP5kP
P02kVq4hYZ8CCPZHVRba==
-----END RSA PRIVATE KEY-----"#,
        r#"The header -----BEGIN RSA PRIVATE KEY----- starts the file."#)
        .entropy(0).check(V::PemBody).conf(C::High).sev(S::Critical).window(8, 16384),
    R::new(Keys, "private-key-ec", &[r#"begin ec private key"#],
        r#"(-----BEGIN EC PRIVATE KEY-----(?:[A-Za-z0-9+/=\s:,]|-[A-Za-z0-9])*(?:-----END [A-Z ]{0,20}PRIVATE KEY(?: BLOCK)?-----)?)"#,
        r#"-----BEGIN EC PRIVATE KEY-----
V4XkLgZeJ2g4XVwhLQO+LBzjScRgQD02gp4kkG0Z3hAM227PzVK+mA1Xw8zOjZzM
rFCO8T4Qn3OtawdPPG0hAy7WOzE1ceUFxmbR/eQ2XclKZ9/DOm6BYGix7yVXo79A
BrTvlo45w+Pzg2n+c+du==
-----END EC PRIVATE KEY-----"#,
        r#"The header -----BEGIN EC PRIVATE KEY----- starts the file."#)
        .entropy(0).check(V::PemBody).conf(C::High).sev(S::Critical).window(8, 16384),
    R::new(Keys, "private-key-dsa", &[r#"begin dsa private key"#],
        r#"(-----BEGIN DSA PRIVATE KEY-----(?:[A-Za-z0-9+/=\s:,]|-[A-Za-z0-9])*(?:-----END [A-Z ]{0,20}PRIVATE KEY(?: BLOCK)?-----)?)"#,
        r#"-----BEGIN DSA PRIVATE KEY-----
sWlJa63pHknScAsKjsSoG0eEtzC832mOFMX2ji8ZReymxh+V0O7j13a3QHO+5lFr
O6gLmPIkoF4sEwKLAFtp5UjQIuf4HOgdU0AGMLXjiPiTigCrboc8V0QjhPbAP6dT
Og2fp6Ue18NiPsargy20==
-----END DSA PRIVATE KEY-----"#,
        r#"The header -----BEGIN DSA PRIVATE KEY----- starts the file."#)
        .entropy(0).check(V::PemBody).conf(C::High).sev(S::Critical).window(8, 16384),
    R::new(Keys, "private-key-openssh", &[r#"begin openssh private key"#],
        r#"(-----BEGIN OPENSSH PRIVATE KEY-----(?:[A-Za-z0-9+/=\s:,]|-[A-Za-z0-9])*(?:-----END [A-Z ]{0,20}PRIVATE KEY(?: BLOCK)?-----)?)"#,
        r#"-----BEGIN OPENSSH PRIVATE KEY-----
wv37qOC1nbBldHURQP/Jxm+VRn/CTJWHlfLoYU8LvcFm758EmUDhv2AevnQKjQCV
Wp4Yx4CPGpoopHT8r+44yvjWgqZEo3AU2w6J/xx9jINU1WSZcyJfRXfpMzZdsOqJ
//q0c8IXi8GH6bgoZZLN==
-----END OPENSSH PRIVATE KEY-----"#,
        r#"The header -----BEGIN OPENSSH PRIVATE KEY----- starts the file."#)
        .entropy(0).check(V::PemBody).conf(C::High).sev(S::Critical).window(8, 16384),
    R::new(Keys, "private-key-pkcs8", &[r#"begin private key"#],
        r#"(-----BEGIN PRIVATE KEY-----(?:[A-Za-z0-9+/=\s:,]|-[A-Za-z0-9])*(?:-----END [A-Z ]{0,20}PRIVATE KEY(?: BLOCK)?-----)?)"#,
        r#"-----BEGIN PRIVATE KEY-----
uhyMXupQNhLT4ahzVgYLb6pGjACqbkiIBwlbl04F0p7Zm/jz1kFBCzlwyZmeYazL
63paNH5H7PEgFu/pec6mmXUY4OjDmVPN6E3065NGRiyopABltuM92/19dSh6ufA/
kCpebJ1MY0Krqe+8NC+p==
-----END PRIVATE KEY-----"#,
        r#"The header -----BEGIN PRIVATE KEY----- starts the file."#)
        .entropy(0).check(V::PemBody).conf(C::High).sev(S::Critical).window(8, 16384),
    R::new(Keys, "private-key-pkcs8-encrypted", &[r#"begin encrypted private key"#],
        r#"(-----BEGIN ENCRYPTED PRIVATE KEY-----(?:[A-Za-z0-9+/=\s:,]|-[A-Za-z0-9])*(?:-----END [A-Z ]{0,20}PRIVATE KEY(?: BLOCK)?-----)?)"#,
        r#"-----BEGIN ENCRYPTED PRIVATE KEY-----
em9mRQePC/KpDUggfuaBAsdm7UXGdgY8t6rsSgPh7Xny0irMk06otA0Q9euS/wF0
dVMYY/3pvL30YSe6qmrm00BOdZWPUMQSuyH/mXttixsc4UuO0QwJM9Roh4WOoCMd
/ywou0A3cLmMalHyzGqf==
-----END ENCRYPTED PRIVATE KEY-----"#,
        r#"The header -----BEGIN ENCRYPTED PRIVATE KEY----- starts the file."#)
        .entropy(0).check(V::PemBody).conf(C::High).sev(S::Critical).window(8, 16384),
    R::new(Keys, "private-key-pgp", &[r#"begin pgp private key block"#],
        r#"(-----BEGIN PGP PRIVATE KEY BLOCK-----(?:[A-Za-z0-9+/=\s:,]|-[A-Za-z0-9])*(?:-----END [A-Z ]{0,20}PRIVATE KEY(?: BLOCK)?-----)?)"#,
        r#"-----BEGIN PGP PRIVATE KEY BLOCK-----
mTmePuE2ARQ6wQXvWunyvbV9JnWA9QUifpBDsePe6b72YADQXSi1tgNYkwioPtpv
iEI0UjB+2Fqh9Yz/pFTWJNAJJHu2zdHtD8taWiPtiJUbL0C8I6U5XaIRJH7Ikku7
IsjfW9Z7LbvONUNBHf6g==
-----END PGP PRIVATE KEY BLOCK-----"#,
        r#"The header -----BEGIN PGP PRIVATE KEY BLOCK----- starts the file."#)
        .entropy(0).check(V::PemBody).conf(C::High).sev(S::Critical).window(8, 16384),
    R::new(Keys, "putty-private-key", &[r#"putty-user-key-file-"#],
        r#"(PuTTY-User-Key-File-\d: [^\n]+\n(?:[^\n]*\n){0,6}?Private-Lines: \d+\n[A-Za-z0-9+/=\n]{40,})"#,
        r#"PuTTY-User-Key-File-3: ssh-ed25519
Encryption: none
Comment: k
Public-Lines: 2
xFQwOthdtu98D6JUmYMdncQQQzlW402aMuZWgpL3QaVMo6ncuBCn6ech4qsVDw3x
s1ilJ7O6KCpCuTonWZ3S
Private-Lines: 1
NmsXuzvaMeRzThTxALZQo5h8n2p5VPnHZEf0O+8+aHoER+UE
"#,
        r#"PuTTY-User-Key-File-3: ssh-ed25519 is the header of a .ppk file"#)
        .entropy(0).check(V::None).conf(C::High).sev(S::Critical).window(0, 8192),
    R::new(Keys, "kubernetes-service-account-token", &[r#"eyj"#],
        r#"\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})"#,
        r#"token: eyJhbGciOiAiUlMyNTYiLCAia2lkIjogIndrNTlwZktMMGpGaTJZWXZMQnBFIn0.eyJpc3MiOiAia3ViZXJuZXRlcy9zZXJ2aWNlYWNjb3VudCIsICJrdWJlcm5ldGVzLmlvL3NlcnZpY2VhY2NvdW50L25hbWVzcGFjZSI6ICJkZWZhdWx0IiwgImt1YmVybmV0ZXMuaW8vc2VydmljZWFjY291bnQvc2VydmljZS1hY2NvdW50Lm5hbWUiOiAiYnVpbGRlciIsICJzdWIiOiAic3lzdGVtOnNlcnZpY2VhY2NvdW50OmRlZmF1bHQ6YnVpbGRlciJ9.GWynRbocrM0NSFd3qVML8g_CRQx40t3BkPs8MtTkuXqWHbujUsxoZ4Re_-KVpuFrZLkMiYPUo4RDT0wgDlSsZQ"#,
        r#"eyJhbGciOi.eyJzdWIiOi.short"#)
        .entropy(0).check(V::JwtK8s).conf(C::High).sev(S::Critical).window(0, 4096),
    R::new(Keys, "jwt", &[r#"eyj"#],
        r#"\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})"#,
        r#"Authorization: Bearer eyJhbGciOiAiUlMyNTYiLCAia2lkIjogImZyeXRPUkF6YjNkbzdnd2lxVHVMIn0.eyJzdWIiOiAiMTIzNDU2Nzg5MCIsICJuYW1lIjogInN2YyIsICJpYXQiOiAxNzAwMDAwMDAwLCAiZXhwIjogMTkwMDAwMDAwMH0.MKGx6Hhyj7KtouUr0mjxuQgg0EKsH7L5bYc8Vim3s6JLQOrfhFVnL_CKb06nNa2dBGc5C-bUfxI5GA9VB2R2PA"#,
        r#"eyJhbGciOi.eyJzdWIiOi.short"#)
        .entropy(0).check(V::Jwt).conf(C::Medium).sev(S::High).window(0, 4096),
    R::new(Keys, "kubeconfig-client-key-data", &[r#"client-key-data"#],
        r#"client-key-data:\s*([A-Za-z0-9+/=]{100,})"#,
        r#"client-key-data: 0qp8qKbp43W0mrIxkWdayAGhLZz27FYoDUMQR4RzvGUj0XSa0nM0H6SSDMN+n/vAQNG9YOwkCR30ljYsxuGZ20/bdwcuy3lQ2PT3ZWVfePDqeyRsFyOWWphx3ROKmh0yK9gNvcUmWwCTIeIdBGsI3G8HyGP0vBDq"#,
        r#"client-key-data: <base64>"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(0, 8192),
    R::new(Keys, "kubernetes-bootstrap-token", &[r#"--token"#, r#"bootstrap_token"#, r#"bootstrap-token"#],
        r#"(?i:--token[ =]|bootstrap[_-]?token["']?\s*[:=]\s*["']?)([a-z0-9]{6}\.[a-z0-9]{16})\b"#,
        r#"kubeadm join 10.0.0.1:6443 --token 75yzyn.6ddbinqbyaqpibvp"#,
        r#"kubeadm join --token <token>"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(4, 320),
    R::new(Keys, "htpasswd-hash", &[r#"$apr1$"#, r#"$2y$"#, r#"$2b$"#, r#"$2a$"#],
        r#"(?m:^[A-Za-z0-9._-]{1,32}:(\$apr1\$[A-Za-z0-9./]{1,8}\$[A-Za-z0-9./]{22}|\$2[aby]\$\d\d\$[A-Za-z0-9./]{53}))"#,
        r#"admin:$2y$10$RxeJEbuq5QDUeH3GEljqFpsIJe3B63Ny8ITkTA0lI1OFHn5XvnT7y"#,
        r#"bcrypt hashes start with $2y$"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(40, 320),
];
