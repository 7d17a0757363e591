//! Secret rules, family table: Cloud and hosting platforms: AWS, GCP, Azure, Alibaba, DigitalOcean, Heroku, Cloudflare, HashiCorp and friends.
//! Generated once from a rule sheet; each row carries a true- and a false-positive example that
//! the table-driven test in `rules::tests` checks.

use super::{Family::*, SecretRule as R, Validator as V};
use palisade_core::{Confidence as C, Severity as S};

#[rustfmt::skip]
pub(super) const RULES: &[R] = &[
    R::new(Cloud, "aws-access-key-id", &[r#"akia"#, r#"asia"#, r#"abia"#, r#"acca"#, r#"a3t"#],
        r#"\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b"#,
        r#"AWS_ACCESS_KEY_ID=AKIAWNU5JXYCG2FUIHVM"#,
        r#"AKIA prefix mentioned in docs: AKIA1234"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Cloud, "aws-secret-access-key", &[r#"aws_secret"#, r#"secret_access_key"#, r#"secretaccesskey"#, r#"aws-secret"#],
        r#"(?i:aws[_-]?secret[_-]?(?:access[_-]?)?key|secretaccesskey)["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        r#"aws_secret_access_key = p1oLfDYkHLib3OPx3akCl1RXiU4Shsc+gumepyzn"#,
        r#"aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}"#)
        .entropy(40).check(V::MixedB64).conf(C::High).sev(S::Critical).window(16, 320),
    R::new(Cloud, "aws-secret-near-access-key", &[r#"akia"#, r#"asia"#],
        r#"(?:AKIA|ASIA)[A-Z2-7]{16}[^A-Za-z0-9/+](?:[^\n]{0,80}?[^A-Za-z0-9/+])?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        r#"key AKIAPCQPYFLOHKJ2FZGM secret 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"#,
        r#"key AKIA7S7S4FLCDG5SSDDE path src/components/widgets/renderer/main.ts"#)
        .entropy(40).check(V::MixedB64).conf(C::High).sev(S::Critical).window(4, 200),
    R::new(Cloud, "aws-session-token", &[r#"aws_session_token"#, r#"sessiontoken"#, r#"aws-session-token"#],
        r#"(?i:aws[_-]?session[_-]?token|sessiontoken)["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9/+=]{100,1200})"#,
        r#"aws_session_token = xwNHIiD2bjkko8nQoMxfJPZuUKmRmtVCFEm+w7NAFaF63DxfQ9FyvphYuMVMtvCVfkxmHBZLeD4vVoZUyfL7IkcYzqEg+jdwXcoq2FGRLAqjX3DFQsWaeXXc0NlFyMf9Ja7EJ3qRzp1iwBZ1DB74j50B+btzf4AGjO9OrWDbDaFlFTOhDyLhL2Z9KJnLM0r0kg7Kj5kQ"#,
        r#"aws_session_token = "${SESSION}""#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(16, 1400),
    R::new(Cloud, "aws-mws-auth-token", &[r#"amzn.mws."#],
        r#"\b(amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"#,
        r#"token amzn.mws.5bba2eb5-a45f-a786-0e89-3deba946a981"#,
        r#"amzn.mws.not-a-token"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "aws-bedrock-api-key", &[r#"absk"#],
        r#"\b(ABSK[A-Za-z0-9+/]{109,269}={0,2})"#,
        r#"ABSKO4zcVAfk2thMnuqkIE9MuFjTHL2fFSsGWFp38b4XPiSvVdqeDTOVcNGBGXkHbTVgx8cInTXxKzwi7GaYiUWmuFbU2Jn4kbE1bdGmhXhKT2nUMgdBNEU7z+gYMLOp8m9TjcwI"#,
        r#"ABSK is the prefix"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "gcp-api-key", &[r#"aiza"#],
        r#"\b(AIza[0-9A-Za-z_-]{35})(?:[^A-Za-z0-9_-]|$)"#,
        r#"key=AIzag5gPoUy0lBZF7b1qg41V9cFndXLEXUAMY4d"#,
        r#"AIzaShortKey"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "gcp-service-account-key-id", &[r#"private_key_id"#],
        r#""private_key_id"\s*:\s*"([a-f0-9]{40})""#,
        r#""private_key_id": "f61d69e94a9ec18e6aa17fd14fd5a2eb4e60ebf4""#,
        r#""private_key_id": "REPLACE_WITH_KEY_ID""#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "gcp-service-account-private-key", &[r#"service_account"#],
        r#""type"\s*:\s*"service_account"[\s\S]{0,600}?"private_key"\s*:\s*"(-----BEGIN PRIVATE KEY-----(?:\\n|[A-Za-z0-9+/=])+)"#,
        r#"{"type": "service_account", "project_id": "p1", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEweQ582e7Pq2Zh2iGrcFfVty71yEOJJDKwrFMjdASskVptVnhQu9KRjQimQrKBz5CIeprgRuHrEw8BW+NVGgsKUqXNKHv2Yedz0/vPFl/RB8Kjlow/RAadThT\n-----END PRIVATE KEY-----\n"}"#,
        r#"{"type": "service_account", "client_email": "svc@p1.iam.gserviceaccount.com"}"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(48, 8192),
    R::new(Cloud, "gcp-oauth-client-secret", &[r#"gocspx-"#],
        r#"\b(GOCSPX-[A-Za-z0-9_-]{28})(?:[^A-Za-z0-9_-]|$)"#,
        r#"client_secret=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"#,
        r#"GOCSPX-short"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "gcp-oauth-access-token", &[r#"ya29."#],
        r#"\b(ya29\.[0-9A-Za-z_-]{30,400})(?:[^A-Za-z0-9_-]|$)"#,
        r#"Authorization: Bearer ya29.JE4RBP2UQgQ1w4lhmtfUukMkwvnlgXpeXni6B-FfGuHRPaGsojwzBMwe7ZJ8fLsc8ZEn1pAfd956cYEKKsfwgvrmYGnI2uT6gG-On-S7fYJbs_qqdqJmvjab"#,
        r#"ya29.short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "gcp-oauth-refresh-token", &[r#"1//0"#],
        r#"(?:^|[^0-9A-Za-z/])(1//0[0-9A-Za-z_-]{40,400})(?:[^A-Za-z0-9_-]|$)"#,
        r#"refresh_token: 1//08qTawc3qS4BS8N31GavwU-uwTzu3Njy9s4IziSeWPHQX76rjunS2qjNVV3CFuxpNqj6NLJLpNeWzwHpbirbJwPNy9B"#,
        r#"see 1//0abc for details"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(2, 320),
    R::new(Cloud, "azure-storage-account-key", &[r#"accountkey"#],
        r#"(?i:AccountKey)=([A-Za-z0-9+/]{86}==)"#,
        r#"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=WZwdtrviGhT5QzyunXbLo2jXmuiGVbcvzADpDF1v2D9LVDCV+580vDNyu/UxNldRk6KwQmG7skRjcMmWBHg8fm==;EndpointSuffix=core.windows.net"#,
        r#"AccountKey=<your-account-key>"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(12, 320),
    R::new(Cloud, "azure-sas-token", &[r#"sig="#],
        r#"[?&]sv=\d{4}-\d{2}-\d{2}[^\s"'<>]{0,300}?&sig=([A-Za-z0-9%+/]{40,}={0,2})"#,
        r#"https://acct.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-01-01&sig=RQ/7Bf+Vbcl/9+AJ7tqUcH4esM7xU37yzE2uku51+3r%3D"#,
        r#"https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig="#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(400, 320),
    R::new(Cloud, "azure-ad-client-secret", &[r#"q~"#],
        r#"(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)"#,
        r#"secret=fhE8Q~eQS2HnxSmrYMNLnZGYK6tl7bU7vEPA5Rvf"#,
        r#"abc8Q~short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(8, 320),
    R::new(Cloud, "azure-servicebus-shared-access-key", &[r#"sharedaccesskey="#],
        r#"(?i:SharedAccessKey)=([A-Za-z0-9+/]{43}=)"#,
        r#"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=momVB7hm/AYW4zMAoGzxlDzjdBxP+4Xp/d0cZFCoxdq="#,
        r#"SharedAccessKey={{key}}"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(20, 320),
    R::new(Cloud, "azure-devops-pat-legacy", &[r#"azure_devops"#, r#"azure-devops"#, r#"azuredevops"#, r#"ado_pat"#, r#"ado-pat"#, r#"azdo_pat"#],
        r#"(?i:azure[_-]?devops|ado[_-]?pat|azdo[_-]?pat)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-z2-7]{52})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"AZURE_DEVOPS_PAT=ipsbdawyccmjryrnlzrgqfaoafuypyaxvqnhcmmesqbowsrsktyu"#,
        r#"AZURE_DEVOPS_PAT=$(System.AccessToken)"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "azure-devops-pat", &[r#"azdo"#],
        r#"\b([A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4})\b"#,
        r#"pat KZgf1eTRxiiTNBsVEJ8iZwZEsNUGDFoT7yCQOvCvchwT1rpUNzTqr5LUyWvVgYz5X9rDp1Qlo7CEAZDOB3sT"#,
        r#"AZDO is the signature"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(80, 320),
    R::new(Cloud, "azure-openai-api-key", &[r#"azure_openai"#, r#"azure-openai"#, r#"azureopenai"#],
        r#"(?i:azure[_-]?openai[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-fA-F0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"AZURE_OPENAI_API_KEY=7eeff036c9fd67050a5a20ef0650891e"#,
        r#"AZURE_OPENAI_API_KEY=<key>"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "azure-search-admin-key", &[r#"azure_search"#, r#"azure-search"#, r#"azuresearch"#],
        r#"(?i:azure[_-]?search[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{52})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"AZURE_SEARCH_ADMIN_KEY=Bz9VXBmxmeOKBv8qIXPn71B4FyJodDkx0YpE9eDVl7BZJFNZZvdg"#,
        r#"AZURE_SEARCH_ADMIN_KEY="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "alibaba-access-key-id", &[r#"ltai"#],
        r#"\b(LTAI[A-Za-z0-9]{20})\b"#,
        r#"ak=LTAIVRgUipNNqJ0MqVc4NnMr"#,
        r#"LTAI short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "alibaba-access-key-secret", &[r#"alibaba"#, r#"aliyun"#],
        r#"(?i:(?:alibaba|aliyun)[\w]*secret)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{30})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"ALIBABA_CLOUD_ACCESS_KEY_SECRET=WgncJgbqmD9b4mwqrMd6INxJ9VPDGy"#,
        r#"ALIBABA_CLOUD_ACCESS_KEY_SECRET=none"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "tencent-secret-id", &[r#"akid"#],
        r#"\b(AKID[A-Za-z0-9]{32})\b"#,
        r#"SecretId: AKIDROXDXd5YNjhGfkVfw6OjmDSeDpAYgn3X"#,
        r#"AKID card"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "digitalocean-pat", &[r#"dop_v1_"#],
        r#"\b(dop_v1_[a-f0-9]{64})\b"#,
        r#"DO_TOKEN=dop_v1_bf5fb040bba5817b977fd5b42df8091174f6c413363853a7ee6d01210b24cabb"#,
        r#"dop_v1_abc"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "digitalocean-oauth-token", &[r#"doo_v1_"#],
        r#"\b(doo_v1_[a-f0-9]{64})\b"#,
        r#"doo_v1_927dada27a1b349464745594e8e448801261d8fd53bc0e690e7394bc032f4752"#,
        r#"doo_v1_abc"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "digitalocean-refresh-token", &[r#"dor_v1_"#],
        r#"\b(dor_v1_[a-f0-9]{64})\b"#,
        r#"dor_v1_901b93f50fa8d687df666ba6a088f0bfc2c16f34faa3a39c11ae530ed3e61430"#,
        r#"dor_v1_abc"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "heroku-api-key-v2", &[r#"hrku-"#],
        r#"\b(HRKU-AA[0-9A-Za-z_-]{58})(?:[^A-Za-z0-9_-]|$)"#,
        r#"HEROKU_API_KEY=HRKU-AAJa3bjkS3eNxz6ogNqC9-ekBYockRNvu9WK7_ZY2xlt3fj_Cov8fwcUmmP7"#,
        r#"HRKU-AA123"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "heroku-api-key", &[r#"heroku"#],
        r#"(?i:heroku[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"HEROKU_API_KEY=5d4309a9-396c-ef09-33bb-6ff1c7e9e007"#,
        r#"HEROKU_API_KEY=00000000-0000-0000-0000-000000000000"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "cloudflare-api-token", &[r#"cloudflare"#],
        r#"(?i:cloudflare[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"CLOUDFLARE_API_TOKEN=dPtgmFp6u0QXOcRpzQPCVnHYFes5TLkslBXcwLJ1"#,
        r#"CLOUDFLARE_API_TOKEN=your-token-goes-here-please-replace-it"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "cloudflare-global-api-key", &[r#"cloudflare"#],
        r#"(?i:cloudflare[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{37})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"cloudflare_global_key: 0c6ecf4577d4989bf8798b79ed51efa755bc4"#,
        r#"cloudflare_global_key: 0000000000000000000000000000000000000"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "cloudflare-origin-ca-key", &[r#"v1.0-"#],
        r#"\b(v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b"#,
        r#"v1.0-3dd208d60d0b7a32cdb89ca3-56c0f75615b81a9e33d7dd76991325f459e50b193325e4f6c0ac6c5b4e0da1cd54ee75a18cef6edcb64063b6efed9b47886931a52fba2c71e470739bfa13ccc58469debc624fd22217"#,
        r#"v1.0-release"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "fastly-api-token", &[r#"fastly"#],
        r#"(?i:fastly[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9_-]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"FASTLY_API_TOKEN=gkEwlznP9Lj8VDCNLRrOx1WIgD4Lw5hV"#,
        r#"FASTLY_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "netlify-pat", &[r#"nfp_"#],
        r#"\b(nfp_[A-Za-z0-9]{36})\b"#,
        r#"NETLIFY_AUTH_TOKEN=nfp_FCDkEN1XHF0JvtA0GSsmJaVzM3pLQHoiWFlq"#,
        r#"nfp_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "vercel-token", &[r#"vercel"#],
        r#"(?i:vercel[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{24})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"VERCEL_TOKEN=p2tW5cNiKtxatDiEaDelJmux"#,
        r#"VERCEL_TOKEN=${{ secrets.VERCEL }}"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "flyio-access-token", &[r#"fo1_"#],
        r#"\b(fo1_[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)"#,
        r#"FLY_API_TOKEN=fo1_EQrVhqSyO42RwvmhOM4fhYE1LWLHwZiMwFoj9dXOb6E"#,
        r#"fo1_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "flyio-macaroon", &[r#"fm2_"#],
        r#"\b(fm2_[A-Za-z0-9+/]{100,}={0,2})"#,
        r#"FlyV1 fm2_cX3Gt9z65+EMiVLvNOqkZKEqreua/vTm+4CGpHuCjNFCCK55YZ5TLk74Xveo5J6yUHzQTlYmkYb4wNeFqGlPxaQQu0Mo9LKgbLOAXha/IYdTwhGILceN4Dl08WdtzLEEoQOr3CAk3sac"#,
        r#"fm2_short"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(64, 2048),
    R::new(Cloud, "planetscale-api-token", &[r#"pscale_tkn_"#],
        r#"\b(pscale_tkn_[A-Za-z0-9_=.-]{32,64})"#,
        r#"pscale_tkn_cgJo3tqj9IEt52K7fRiKthI1Q6F8JMFbcTwkltRrwi4"#,
        r#"pscale_tkn_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "planetscale-password", &[r#"pscale_pw_"#],
        r#"\b(pscale_pw_[A-Za-z0-9_=.-]{32,64})"#,
        r#"pscale_pw_gGs8SAqQPsaRXgd2jRrnnVlDZofGY4ZzIPlz5EKw5w4"#,
        r#"pscale_pw_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "planetscale-oauth-token", &[r#"pscale_oauth_"#],
        r#"\b(pscale_oauth_[A-Za-z0-9_=.-]{32,64})"#,
        r#"pscale_oauth_ASON8a2g81HcUsu9qubNqd08o9KdKkFGbLAuKfjrPfV"#,
        r#"pscale_oauth_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "doppler-token", &[r#"dp.pt."#, r#"dp.st."#, r#"dp.sa."#, r#"dp.ct."#, r#"dp.scim."#, r#"dp.audit."#],
        r#"\b(dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{1,24}\.)?[A-Za-z0-9]{40,44})\b"#,
        r#"DOPPLER_TOKEN=dp.st.oSIdcsvMlBvmtKgXDPzpd4q54ibJHNRPdZI2X14FYqV"#,
        r#"dp.st.dev"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "hashicorp-vault-service-token", &[r#"hvs."#],
        r#"\b(hvs\.[A-Za-z0-9_-]{90,120})(?:[^A-Za-z0-9_-]|$)"#,
        r#"VAULT_TOKEN=hvs.QxoJ3XHn8J85mVcC2CPI6fcubhtG9F3cs6pZHIcYijcTuLN8axrtxxTYb6HtR2TUAV4Byol6mz8piPkpj8F2cxdCn6E6bL0"#,
        r#"hvs.short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "hashicorp-vault-batch-token", &[r#"hvb."#],
        r#"\b(hvb\.[A-Za-z0-9_-]{138,300})(?:[^A-Za-z0-9_-]|$)"#,
        r#"hvb.E0C5YWwGdVSuF4LZQYqFK4xirCDbXqJ56CVoAbP05V3NQiXzqVgIPmtq8mH1zsUadvCBxlRzqE78mtpi5ep3TiTJQWUXrqDEG5WCceYDOhxMmPum9WyAhtPs2INiarOOgLy5mWG56Bcn"#,
        r#"hvb.short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "terraform-cloud-token", &[r#".atlasv1."#],
        r#"\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})"#,
        r#"token = "drB0CC6SdbL1Mb.atlasv1.MWNz453b4ssj0zltBc3v6YtNUT2xmgz40Bt9ymDAQCQQwR21QbNrvYy76XloSMGgx7R""#,
        r#"x.atlasv1.y"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(16, 320),
    R::new(Cloud, "pulumi-access-token", &[r#"pul-"#],
        r#"\b(pul-[a-f0-9]{40})\b"#,
        r#"PULUMI_ACCESS_TOKEN=pul-dd6dcf253d28540c955f316780929d2d874bf9dc"#,
        r#"pul-request"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "supabase-management-token", &[r#"sbp_"#],
        r#"\b(sbp_[a-f0-9]{40})\b"#,
        r#"sbp_277dfb590d47515193052671a46c53c4f036e2e5"#,
        r#"sbp_short"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "supabase-secret-key", &[r#"sb_secret_"#],
        r#"\b(sb_secret_[A-Za-z0-9_-]{31,64})(?:[^A-Za-z0-9_-]|$)"#,
        r#"SUPABASE_SECRET=sb_secret_47JWsGn3iOrc2e18ZXNgwsq99F9KIj1O"#,
        r#"sb_secret_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "databricks-token", &[r#"dapi"#],
        r#"\b(dapi[a-f0-9]{32}(?:-\d)?)\b"#,
        r#"DATABRICKS_TOKEN=dapi629f6f56984e47aadb4bd1f631e1ad16"#,
        r#"dapi reference"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "age-secret-key", &[r#"age-secret-key-1"#],
        r#"(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})"#,
        r#"AGE-SECRET-KEY-13FTRGLTW9ESWQ7332972TXDZ94Z3Q35RZHX3Z9HDGF2PQS3JFGMT232FPD"#,
        r#"AGE-SECRET-KEY-1 goes here"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Cloud, "onepassword-service-account-token", &[r#"ops_eyj"#],
        r#"\b(ops_eyJ[A-Za-z0-9+/]{250,}={0,3})"#,
        r#"OP_SERVICE_ACCOUNT_TOKEN=ops_eyJr8OuC8E+8J0bYF7/fcotUkWwayytmU6NGpUlWrEGY8fwSnJV+xtwSVQ0VDW4OBdTsvX0RtJuqhXW4kthxrUtWzCqGx1Fd6hOvkMHkDiKwZl31EGbNz7thmLzUum5EqoQjagksjmoJGttesh72JljG8UrzP6GDGZko4eQS9VpQGs1UHqkVcjWGn+FPXao12G59Vfy4R9Zqhl92CnubR3ksvHmA4BFeIbecoO+FgD9WU4z8Rk8Kz5LPqANieRvVWAW4sfz"#,
        r#"ops_eyJ short"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(64, 2048),
    R::new(Cloud, "onepassword-secret-key", &[r#"a3-"#],
        r#"\b(A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b"#,
        r#"A3-QS20HM-UOOYISEL29Z-BTTK1-I0JKX-F7VUG"#,
        r#"A3-paper size"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Cloud, "scaleway-secret-key", &[r#"scw_secret"#, r#"scw-secret"#, r#"scaleway"#],
        r#"(?i:scw[_-]?secret[_-]?key|scaleway[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"SCW_SECRET_KEY=721a0810-0ce1-c37f-fe12-02583e8f88e4"#,
        r#"SCW_SECRET_KEY=<secret>"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "linode-token", &[r#"linode"#],
        r#"(?i:linode[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{64})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"LINODE_TOKEN=d698b3035fb9c7e850b0220d1ede6b3dde2edb61d33252713049255ed76e4a59"#,
        r#"LINODE_TOKEN=token"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "vultr-api-key", &[r#"vultr"#],
        r#"(?i:vultr[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Z0-9]{36})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"VULTR_API_KEY=4AWXBVLYVQFZ50BNSK86W9N9W8IW0G41ZGRV"#,
        r#"VULTR_API_KEY=KEY"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "ibm-cloud-api-key", &[r#"ibm_cloud"#, r#"ibm-cloud"#, r#"ibmcloud"#],
        r#"(?i:ibm[_-]?cloud[\w]*|ibmcloud[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9_-]{44})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"IBM_CLOUD_API_KEY=9z3Hl76cG9bF7MTUCdwY8UgrhblORYAeJhf684XdX1Wi"#,
        r#"IBM_CLOUD_API_KEY=$KEY"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Cloud, "yandex-api-key", &[r#"aqvn"#],
        r#"\b(AQVN[A-Za-z0-9_-]{35,38})\b"#,
        r#"AQVNc83I9NP6jSWczZEjn4D6UmoH975vu3Ly9aZm"#,
        r#"AQVN short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "grafana-cloud-api-token", &[r#"glc_"#],
        r#"\b(glc_[A-Za-z0-9+/]{32,400}={0,2})"#,
        r#"GRAFANA_TOKEN=glc_653z4rKu/zkF4aGMpYgpwIIiDEw9irS6mSwW0jtuUB8QFSdaEyW5hbitpZkCh0VWDTZf82GiniZjxt9J"#,
        r#"glc_short"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Cloud, "grafana-service-account-token", &[r#"glsa_"#],
        r#"\b(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})\b"#,
        r#"glsa_fMXbiI9R9EMhgZMrLHxhkwK0XhBCEvFk_87b5f0a0"#,
        r#"glsa_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
];
