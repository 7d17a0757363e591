//! Secret rules, family table: SaaS APIs: mail, monitoring, productivity, e-commerce and logistics services.
//! Generated once from a rule sheet; each row carries a true- and a false-positive example that
//! the table-driven test in `rules::tests` checks.

use super::{Family::*, SecretRule as R, Validator as V};
use palisade_core::{Confidence as C, Severity as S};

#[rustfmt::skip]
pub(super) const RULES: &[R] = &[
    R::new(Saas, "sendgrid-api-key", &[r#"sg."#],
        r#"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)"#,
        r#"SENDGRID_API_KEY=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"#,
        r#"SG.short"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "mailgun-api-key", &[r#"key-"#],
        r#"\b(key-[a-f0-9]{32})\b"#,
        r#"MAILGUN_API_KEY=key-357fdb8b753e66d7873298f27eb9407a"#,
        r#"primary-key-column"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "mailgun-signing-key", &[r#"mailgun"#],
        r#"(?i:mailgun[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"MAILGUN_SIGNING_KEY=9700f891f06bb3f1c0766bdc011e51b1-eed4526f-d36474da"#,
        r#"MAILGUN_SIGNING_KEY="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "mailchimp-api-key", &[r#"-us"#],
        r#"\b([a-f0-9]{32}-us\d{1,2})\b"#,
        r#"MAILCHIMP_KEY=d5273d77e9553c694dc6afbc0e2a2741-us14"#,
        r#"Accept-Language: en-us"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(40, 320),
    R::new(Saas, "mailjet-api-key", &[r#"mailjet"#],
        r#"(?i:mailjet[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"MAILJET_API_SECRET=926f2b810cf8791f108a6ec1603a56b9"#,
        r#"MAILJET_API_SECRET="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "postmark-token", &[r#"postmark"#],
        r#"(?i:postmark[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"POSTMARK_SERVER_TOKEN=19cacb60-85a8-d1ea-d1b7-ce44ce980716"#,
        r#"POSTMARK_SERVER_TOKEN="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "brevo-api-key", &[r#"xkeysib-"#],
        r#"\b(xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16})\b"#,
        r#"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"#,
        r#"xkeysib-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "twilio-api-key", &[r#"twilio"#],
        r#"(?i:twilio[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(SK[a-f0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"TWILIO_API_KEY=SKa8e7f204367c1b35b1d58f2d4b689f91"#,
        r#"TWILIO_API_KEY=SK"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(8, 320),
    R::new(Saas, "twilio-auth-token", &[r#"twilio"#],
        r#"(?i:twilio[\w]*(?:auth|token)[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"TWILIO_AUTH_TOKEN=6bd7dd6639ccb362d81f5f994a16e87f"#,
        r#"TWILIO_AUTH_TOKEN="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "shopify-access-token", &[r#"shpat_"#],
        r#"\b(shpat_[a-fA-F0-9]{32})\b"#,
        r#"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"#,
        r#"shpat_short"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "shopify-custom-app-token", &[r#"shpca_"#],
        r#"\b(shpca_[a-fA-F0-9]{32})\b"#,
        r#"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"#,
        r#"shpca_short"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "shopify-private-app-token", &[r#"shppa_"#],
        r#"\b(shppa_[a-fA-F0-9]{32})\b"#,
        r#"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"#,
        r#"shppa_short"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "shopify-shared-secret", &[r#"shpss_"#],
        r#"\b(shpss_[a-fA-F0-9]{32})\b"#,
        r#"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"#,
        r#"shpss_short"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "datadog-api-key", &[r#"datadog"#, r#"dd_api_key"#, r#"dd-api-key"#],
        r#"(?i:datadog[\w]*|dd[_-]api[_-]key)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"DD_API_KEY=4d9cc2bf342cf9cc2eb94dd057af8284"#,
        r#"DD_API_KEY="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "datadog-app-key", &[r#"dd_app"#, r#"dd-app"#, r#"dd_application"#, r#"datadog"#],
        r#"(?i:dd[_-]app(?:lication)?[_-]key|datadog[\w]*app[\w]*key)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{40})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"DD_APP_KEY=3af6a5da96e98fc8063f9ce006ab9d7184a2d391"#,
        r#"DD_APP_KEY="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "new-relic-user-key", &[r#"nrak-"#],
        r#"\b(NRAK-[A-Z0-9]{27})\b"#,
        r#"NEW_RELIC_API_KEY=NRAK-B611FL7JI7BVNZQVAK54N3PYURQ"#,
        r#"NRAK-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "new-relic-insert-key", &[r#"nrii-"#],
        r#"\b(NRII-[A-Za-z0-9_-]{32})(?:[^A-Za-z0-9_-]|$)"#,
        r#"NRII-k6PsTFh8rSqFdksOlFZqhnqL8eEuIkWP"#,
        r#"NRII-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "new-relic-browser-key", &[r#"nrjs-"#],
        r#"\b(NRJS-[a-f0-9]{19})\b"#,
        r#"NRJS-8a892fbc10d921a4c26"#,
        r#"NRJS-x"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "dynatrace-token", &[r#"dt0c01."#],
        r#"\b(dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})\b"#,
        r#"dt0c01.L6W2X3CYTD93ENU0FGFGD9Y0.Z9G45T32NBVYRPYSUZFX2NFPD8EN66TWPJULETOOTYH9NNMH34M6ELBXZEMWEDXZ"#,
        r#"dt0c01.x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "pagerduty-api-key", &[r#"pagerduty"#],
        r#"(?i:pagerduty[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9_+-]{20})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"PAGERDUTY_TOKEN=Q8JEQqJmCl0iV8ciF4cZ"#,
        r#"PAGERDUTY_TOKEN="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "opsgenie-api-key", &[r#"opsgenie"#],
        r#"(?i:opsgenie[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"OPSGENIE_API_KEY=01c3f277-7167-04cd-c1a9-444550ceab45"#,
        r#"OPSGENIE_API_KEY="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "postman-api-key", &[r#"pmak-"#],
        r#"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b"#,
        r#"PMAK-50c6554f74818d453b165b10-74f7e36e8ef47b913d0aa3a026fd68f71c"#,
        r#"PMAK-x"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "prefect-api-key", &[r#"pnu_"#],
        r#"\b(pnu_[A-Za-z0-9]{36})\b"#,
        r#"PREFECT_API_KEY=pnu_AUFsDJhgmdDc1FPdkSZu392Xp7cE7QNLk3QM"#,
        r#"pnu_x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "readme-api-key", &[r#"rdme_"#],
        r#"\b(rdme_[a-z0-9]{70})\b"#,
        r#"rdme_byqei58c4qdrgy2s3nnvo4oc2x0uui1yf6s5j21ybz7b8e03a56tre6do6xacc88tyxm2x"#,
        r#"rdme_x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "notion-token", &[r#"ntn_"#],
        r#"\b(ntn_[A-Za-z0-9]{40,50})\b"#,
        r#"NOTION_TOKEN=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"#,
        r#"ntn_x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "notion-legacy-token", &[r#"secret_"#],
        r#"\b(secret_[A-Za-z0-9]{43})\b"#,
        r#"NOTION_TOKEN=secret_V1A2ohTtg536dUJmS6JqAfwob5vFWeDIcyOw1BfA8YP"#,
        r#"secret_key_base_configuration_value_for_app_xx"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "airtable-pat", &[r#"pat"#],
        r#"\b(pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b"#,
        r#"AIRTABLE_TOKEN=patG9ce25poG2MFno.2bf6218f67dbb2b0b83d9688d71b29f2707cb1d1cb571e61dcd4553a6c2206cc"#,
        r#"pattern.matches(path)"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "figma-pat", &[r#"figd_"#],
        r#"\b(figd_[A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_-]|$)"#,
        r#"FIGMA_TOKEN=figd_QiLEXpVS3xHak8t1wOIFKET8x1jp2SZJLvL8OYqC"#,
        r#"figd_x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "typeform-pat", &[r#"tfp_"#],
        r#"\b(tfp_[A-Za-z0-9_.=-]{59})"#,
        r#"tfp_5pLbtcrlOHFSnmHkoPUZxF8ZD0ZX8SKOolwBaeH3yni01zmexxemVcu9u5t"#,
        r#"tfp_x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "contentful-pat", &[r#"cfpat-"#],
        r#"\b(CFPAT-[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)"#,
        r#"CFPAT-rHZKWXJr7HotJl0rWMEAUV5MdlJngEVNTneCyok7iLx"#,
        r#"CFPAT-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "dropbox-short-lived-token", &[r#"sl."#],
        r#"\b(sl\.[A-Za-z0-9_-]{130,152})(?:[^A-Za-z0-9_-]|$)"#,
        r#"DROPBOX_TOKEN=sl.IAV3ww0HLicTXO44oIXxFUuhOrExKtFXTKrXGAIeKSuZDjuefhKVwjwHSEDt8VoSQXx0icwj0vj5kpnvmiYgTI5GLhYZpCCaVyqhR0Fc7vpKHPAnNLUGnfzCsYGCT89MZmlA5FDT02kh"#,
        r#"sl.short"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "dropbox-long-lived-token", &[r#"dropbox"#],
        r#"(?i:dropbox[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{11}AAAAAAAAAA[A-Za-z0-9_=-]{43})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"DROPBOX_TOKEN=LQS7PfBEGZpAAAAAAAAAASLKzq4DMYdo9nqe6C9QqhmG3V6iYlQLn8V4fyx3vdxr"#,
        r#"DROPBOX_TOKEN="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "hubspot-pat", &[r#"pat-na1-"#, r#"pat-eu1-"#],
        r#"\b(pat-(?:na|eu)1-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})\b"#,
        r#"pat-na1-3c57868e-dae0-ae60-a3db-b8a0a4bc215e"#,
        r#"pat-na1-x"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "intercom-token", &[r#"intercom"#],
        r#"(?i:intercom[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9=_-]{60})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"INTERCOM_TOKEN=DLlPFSq2AzhHCsTeaG2fbvrkLe5PZeZ25JIO7siRAUZYRJZDCO5HrSd38fFF"#,
        r#"INTERCOM_TOKEN="#)
        .entropy(40).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "zendesk-token", &[r#"zendesk"#],
        r#"(?i:zendesk[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{40})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"ZENDESK_API_TOKEN=As49rxrNxflFNxUAZMsI80FYhlQISzoQByliK3hV"#,
        r#"ZENDESK_API_TOKEN="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "okta-api-token", &[r#"okta"#],
        r#"(?i:okta[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(00[A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"OKTA_API_TOKEN=00zmtbzJ59WQgTpSrImIg4xIJ2HxRgmGtr7fqsPRps"#,
        r#"OKTA_API_TOKEN=00"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "auth0-client-secret", &[r#"auth0"#],
        r#"(?i:auth0[\w]*(?:secret|token))[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9_-]{32,64})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"AUTH0_CLIENT_SECRET=4LOQ31MqFGm0aKU6CNdAKqr7qdO1AKZBvHQs9jMSpqnoWIVO"#,
        r#"AUTH0_CLIENT_SECRET="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "mapbox-secret-token", &[r#"sk.eyj"#],
        r#"\b(sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,})"#,
        r#"MAPBOX_TOKEN=sk.eyJBUTbXIYoXHXeWYwk0nAICg9daAOgJFV1Uzdo2fn9KYNgK4ooh4rOphsi6D3u.24in2BY5Gw5L2xIVUMuwS5"#,
        r#"sk.eyJ"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "algolia-admin-key", &[r#"algolia"#],
        r#"(?i:algolia[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"ALGOLIA_ADMIN_KEY=b1a58b6a5cdc63a50e8911c2f55224c9"#,
        r#"ALGOLIA_ADMIN_KEY="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "segment-public-api-token", &[r#"sgp_"#],
        r#"\b(sgp_[A-Za-z0-9]{64})\b"#,
        r#"sgp_QKpiFMeVCm3Hn6CoK1w0ZzHYOOZZF8tZHxeS1bLUuYxFkHlBQYa9g3U7lR6ElPC6"#,
        r#"sgp_x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "posthog-personal-api-key", &[r#"phx_"#],
        r#"\b(phx_[A-Za-z0-9_]{43})\b"#,
        r#"POSTHOG_KEY=phx_jTB80SgcaBiVWwDjJFRQa8QAAqqFGYzqen61ZTLMLx4"#,
        r#"phx_x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "easypost-api-key", &[r#"ezak"#, r#"eztk"#],
        r#"\b(EZ[AT]K[a-f0-9]{54})\b"#,
        r#"EZAK8a5c61a039adfee8a3fe60b0944a5a4dc0b97fa6660c9cbad579d7"#,
        r#"EZAK x"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "shippo-api-token", &[r#"shippo_"#],
        r#"\b(shippo_(?:live|test)_[a-f0-9]{40})\b"#,
        r#"shippo_live_3f057ec80e6e62f47c4c3a323c52801a3f858b58"#,
        r#"shippo_live_x"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "duffel-api-token", &[r#"duffel_"#],
        r#"\b(duffel_(?:test|live)_[A-Za-z0-9_=-]{43})(?:[^A-Za-z0-9_-]|$)"#,
        r#"duffel_live_0SlASXgNPPIiFmMvgmCZt0UHyU8kIV0tqsHV8yu0Xtu"#,
        r#"duffel_live_x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "frameio-api-token", &[r#"fio-u-"#],
        r#"\b(fio-u-[A-Za-z0-9_=-]{64})(?:[^A-Za-z0-9_-]|$)"#,
        r#"fio-u-ijn6wKgeGeu9bKYMgLCXtNxSOh805iXivxhlJqyI3PLu4bvfR4hrP9BymioGKVBb"#,
        r#"fio-u-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "beamer-api-token", &[r#"beamer"#],
        r#"(?i:beamer[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(b_[A-Za-z0-9=_-]{44})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"BEAMER_TOKEN=b_pok0d02c5PQBHvuWmiaC1wb4ozAnteyOit33mCTH7Eln"#,
        r#"BEAMER_TOKEN=b_"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "sumologic-access-key", &[r#"sumo"#],
        r#"(?i:sumo[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{64})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"SUMO_ACCESS_KEY=A90vkTYycWYRPV1eWjVJvkmSxywZRLL28iRQEfv8xD6EQdAsdlfYVBKQDMQawEPh"#,
        r#"SUMO_ACCESS_KEY="#)
        .entropy(40).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "honeycomb-api-key", &[r#"honeycomb"#],
        r#"(?i:honeycomb[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{22,32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"HONEYCOMB_API_KEY=ZyUTtEWlszJje1avFEhFoIwJ1Z0lppdm"#,
        r#"HONEYCOMB_API_KEY="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "rapidapi-key", &[r#"rapidapi"#],
        r#"(?i:rapidapi[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9_-]{50})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"RAPIDAPI_KEY=B3bY6pkWT4BpIFbiSDX912HDeEBUCjqGh6m1u8iOC3wWGeT2VW"#,
        r#"RAPIDAPI_KEY="#)
        .entropy(40).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "trello-token", &[r#"trello"#],
        r#"(?i:trello[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{64}|[a-f0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"TRELLO_TOKEN=d611ccfa922eb6564eb452c4e18a2b27dab8307072c5720830621dd1c62ca52c"#,
        r#"TRELLO_TOKEN="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "settlemint-token", &[r#"sm_pat_"#, r#"sm_aat_"#, r#"sm_sat_"#],
        r#"\b(sm_(?:pat|aat|sat)_[A-Za-z0-9]{16})\b"#,
        r#"sm_pat_IDxsN7Ez8VObwhPD"#,
        r#"sm_pat_x"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Saas, "sidekiq-enterprise-secret", &[r#"contribsys__com"#],
        r#"(?i:BUNDLE_(?:ENTERPRISE|GEMS)__CONTRIBSYS__COM)["']?\s*[:=]\s*["']?([a-f0-9]{8}:[a-f0-9]{8})\b"#,
        r#"BUNDLE_ENTERPRISE__CONTRIBSYS__COM=db7540b0:bc9c7157"#,
        r#"BUNDLE_ENTERPRISE__CONTRIBSYS__COM="#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(40, 320),
    R::new(Saas, "adafruit-io-key", &[r#"adafruit"#],
        r#"(?i:adafruit[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9_-]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"ADAFRUIT_IO_KEY=hrtHMB7rrwkMLWlhoZqhEmyU9SMAUS4G"#,
        r#"ADAFRUIT_IO_KEY="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "lob-api-key", &[r#"lob_"#, r#"lob-"#],
        r#"(?i:lob[_-]?(?:api[_-]?)?key)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?((?:live|test)_[a-f0-9]{35})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"LOB_API_KEY=live_413d8e8330ac20d43acd5f0586db3a60627"#,
        r#"LOB_API_KEY=live_"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Saas, "infracost-api-key", &[r#"ico-"#],
        r#"\b(ico-[A-Za-z0-9]{32})\b"#,
        r#"INFRACOST_API_KEY=ico-zZibMl7xb1pxbJyxChzcTtTCiHssmn5N"#,
        r#"ico-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
];
