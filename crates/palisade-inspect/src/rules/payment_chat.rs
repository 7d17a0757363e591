//! Secret rules, family table: Payment processors (Stripe, Square, PayPal, Plaid, ...) and chat platforms (Slack, Discord, Telegram, Teams, ...).
//! Generated once from a rule sheet; each row carries a true- and a false-positive example that
//! the table-driven test in `rules::tests` checks.

use super::{Family::*, SecretRule as R, Validator as V};
use palisade_core::{Confidence as C, Severity as S};

#[rustfmt::skip]
pub(super) const RULES: &[R] = &[
    R::new(Payment, "stripe-secret-key", &[r#"sk_live_"#],
        r#"\b(sk_live_[A-Za-z0-9]{24,99})\b"#,
        r#"STRIPE_KEY=sk_live_zKkFoktBTFUJSLTCQj3WPY7X"#,
        r#"sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Payment, "stripe-restricted-key", &[r#"rk_live_"#],
        r#"\b(rk_live_[A-Za-z0-9]{24,99})\b"#,
        r#"rk_live_rDZvTfNHv3tpgtPircqmTeM2"#,
        r#"rk_live_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Payment, "stripe-test-secret-key", &[r#"sk_test_"#],
        r#"\b(sk_test_[A-Za-z0-9]{24,99})\b"#,
        r#"sk_test_S77eSOabrOakXTBDKjauXs3K"#,
        r#"sk_test_xxxxxxxxxxxxxxxxxxxxxxxx"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Medium).window(64, 320),
    R::new(Payment, "stripe-webhook-secret", &[r#"whsec_"#],
        r#"\b(whsec_[A-Za-z0-9+/]{32,})"#,
        r#"STRIPE_WEBHOOK_SECRET=whsec_aHNpJEbh8oxFIXPWQNCu4rOAoNDcELSK"#,
        r#"whsec_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Payment, "square-access-token", &[r#"eaaa"#],
        r#"\b(EAAA[A-Za-z0-9_-]{60})(?:[^A-Za-z0-9_-]|$)"#,
        r#"SQUARE_TOKEN=EAAAQCgblPgaoHB3xcc2OW1LPyMyYV9ekkFeCZpLPK9BdQXymB4SYsfzR1iKWoTt"#,
        r#"EAAA short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Payment, "square-oauth-secret", &[r#"sq0csp-"#],
        r#"\b(sq0csp-[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)"#,
        r#"sq0csp-O0K92rpVlak2PcZBOSA6IrWfuEtxR90orXSbzpr8nz3"#,
        r#"sq0csp-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Payment, "square-legacy-token", &[r#"sq0atp-"#],
        r#"\b(sq0atp-[A-Za-z0-9_-]{22})(?:[^A-Za-z0-9_-]|$)"#,
        r#"sq0atp-As7BXjFeZQspqu9Uj6DJHq"#,
        r#"sq0atp-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Payment, "braintree-access-token", &[r#"access_token$production$"#],
        r#"\b(access_token\$production\$[a-z0-9]{16}\$[a-f0-9]{32})\b"#,
        r#"access_token$production$tbgu3n1i1svqc93h$58d06325a6dd1714a383f7df6daf73d6"#,
        r#"access_token$production$"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Payment, "paypal-client-secret", &[r#"paypal"#],
        r#"(?i:paypal[\w]*secret)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(E[A-Za-z0-9_-]{79})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"PAYPAL_CLIENT_SECRET=EL02t9I2vfWHkWiTtNdLWeJA3O6dumV17jtsX7KsMcBSmoCDJpIYSeLmeJRwSE3WKlQmrUEYwoFeHREL"#,
        r#"PAYPAL_CLIENT_SECRET=E"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Payment, "plaid-access-token", &[r#"access-sandbox-"#, r#"access-development-"#, r#"access-production-"#],
        r#"\b(access-(?:sandbox|development|production)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})\b"#,
        r#"access-production-934247c5-fbd0-e0f1-22e9-e81da5f1d85f"#,
        r#"access-production-environment"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Payment, "plaid-secret", &[r#"plaid"#],
        r#"(?i:plaid[\w]*secret)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{30})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"PLAID_SECRET=260df5ed65bdbe00e67eaa9cb1c92b"#,
        r#"PLAID_SECRET="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Payment, "flutterwave-secret-key", &[r#"flwseck"#],
        r#"\b(FLWSECK(?:_TEST)?-[a-h0-9]{32}-X)"#,
        r#"FLWSECK-414ec873fe009f7de922206508e1bedd-X"#,
        r#"FLWSECK-short-X"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Payment, "razorpay-key-id", &[r#"rzp_live_"#],
        r#"\b(rzp_live_[A-Za-z0-9]{14})\b"#,
        r#"rzp_live_emvtnLX5Pjq70G"#,
        r#"rzp_live_x"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Payment, "razorpay-key-secret", &[r#"razorpay"#],
        r#"(?i:razorpay[\w]*secret)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{24})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"RAZORPAY_KEY_SECRET=y7PaEVYqx1qosMb31oN1ZhMx"#,
        r#"RAZORPAY_KEY_SECRET="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Payment, "gocardless-access-token", &[r#"gocardless"#],
        r#"(?i:gocardless[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(live_[A-Za-z0-9_=-]{40})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"GOCARDLESS_TOKEN=live_ZVtvj1e5L3YAyxv9G2SL1TZBvZAdghFZedwiNUPW"#,
        r#"GOCARDLESS_TOKEN=live_"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Payment, "adyen-api-key", &[r#"adyen"#],
        r#"(?i:adyen[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(AQE[A-Za-z0-9_+/=.-]{80,})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"ADYEN_API_KEY=AQEGTuzM9NcK0O4PgyOyIPD6wVn1LmEQpoQga5LvJ8HiQa8zkanAj5WWMUHTNhXjvErPNGBXjbBaZyptOVz1OdE2ONLyvwx7RRZPLIV"#,
        r#"ADYEN_API_KEY=AQE"#)
        .entropy(40).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Payment, "coinbase-api-secret", &[r#"coinbase"#],
        r#"(?i:coinbase[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9_-]{64})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"COINBASE_API_SECRET=XHi0e39LFYyWLdsV74xwpsQUod2QfY1K8I5KO0Od2Slr0q7uf8u6FZEIbUQwqL4D"#,
        r#"COINBASE_API_SECRET="#)
        .entropy(40).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Payment, "mollie-api-key", &[r#"mollie"#],
        r#"(?i:mollie[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(live_[A-Za-z0-9]{30})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"MOLLIE_API_KEY=live_8dC3k1Ggk4RQmIiuwdLg3yJzZgB4BO"#,
        r#"MOLLIE_API_KEY=live_"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Chat, "slack-bot-token", &[r#"xoxb-"#],
        r#"\b(xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24})\b"#,
        r#"SLACK_BOT_TOKEN=xoxb-038552261554-6924294257255-pw41q5sEzaqKc00zO7LzgjdF"#,
        r#"xoxb-not-a-token"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Chat, "slack-user-token", &[r#"xoxp-"#],
        r#"\b(xoxp-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32})\b"#,
        r#"xoxp-179029731835-810313306803-4697660187807-246030a207f3d8a9505aad9242a8feb9"#,
        r#"xoxp-x"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Chat, "slack-app-token", &[r#"xapp-"#],
        r#"\b(xapp-\d-[A-Z0-9]{9,11}-\d{10,13}-[a-f0-9]{64})\b"#,
        r#"xapp-1-VP8AOLZ2G7K-5744515814380-e6908117b9a3e7067208f622a93bfd47bf525c9a29d006ac03c27b1ec8609221"#,
        r#"xapp-1-x"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Chat, "slack-config-token", &[r#"xoxe.xox"#],
        r#"\b(xoxe\.xox[bp]-\d-[A-Z0-9]{163,166})\b"#,
        r#"xoxe.xoxp-1-EBXKQRYLKSKO6P5NYLP5LCL9N61CJPVWKA9BL5Y2DUIHZ0ETS73MHBYFXJLQ43ITSJSC1EAK7B0SNMA7V1QYT4HYMNOE4XM96IRFGY12MX0PL8BF1D9N6VACO2FKVZWIC5YMS04AOST9PBL8NUN8M5XHX7VC2WO4JTVA24"#,
        r#"xoxe.xoxp-1-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Chat, "slack-config-refresh-token", &[r#"xoxe-"#],
        r#"\b(xoxe-\d-[A-Z0-9]{146})\b"#,
        r#"xoxe-1-UJF3NAPGFQFCY7DWUJK2REPCBPN21NHHOKHCNV3A3NAVOV2APEVPNB74ENB9VKTS5A8FPCRFUU6EKHZI9F5RQG7HWCT1D6P5I54LZ5VQGXI8P1OA6IDYNXT6I8G8G3OWS5JSWTGCALHCZQRACZ"#,
        r#"xoxe-1-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Chat, "slack-legacy-token", &[r#"xoxo-"#, r#"xoxs-"#, r#"xoxa-"#, r#"xoxr-"#],
        r#"\b(xox[osar]-\d+-\d+-\d+-[a-f0-9]{32,64})\b"#,
        r#"xoxs-8667678609-88853070213-356621332706-fbbe3151850678bea78f763d43cfd2af9d7d70fdc6fbf5d7b0befdb53a689143"#,
        r#"xoxs-1-2-3-x"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Chat, "slack-webhook-url", &[r#"hooks.slack.com/"#],
        r#"(https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56})"#,
        r#"https://hooks.slack.com/services/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"#,
        r#"https://hooks.slack.com/services/"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(12, 320),
    R::new(Chat, "discord-bot-token", &[r#"discord"#],
        r#"(?i:discord[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([MN][A-Za-z0-9]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"DISCORD_TOKEN=MUWqom62tRu8d8BvCIEpMb7T.cg0DF8.SmHWAiVoOAG7fi9gP7KzHvtuwFp"#,
        r#"DISCORD_TOKEN=M.x.y"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(8, 320),
    R::new(Chat, "discord-webhook-url", &[r#"discord.com/api/webhooks"#, r#"discordapp.com/api/webhooks"#],
        r#"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_-]{60,68})"#,
        r#"https://discord.com/api/webhooks/259001455812025498/PdVAx1xFTnsMrX3LSbmOvtwivOJIyFmaUyflknrQ6o1QnbTmiyYNEQXymN2P9F7bMqau"#,
        r#"https://discord.com/api/webhooks/123/abc"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(20, 320),
    R::new(Chat, "telegram-bot-token", &[r#":aa"#],
        r#"(?:^|[^0-9])(\d{8,10}:AA[A-Za-z0-9_-]{33})(?:[^A-Za-z0-9_-]|$)"#,
        r#"TELEGRAM_BOT_TOKEN=0544072593:AAazwQspkPzhQ7JRpGJtIznZojFSwN4U7H4"#,
        r#"12:AAA"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(14, 320),
    R::new(Chat, "microsoft-teams-webhook", &[r#"webhook.office.com"#],
        r#"(https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/[a-z0-9-]{36}@[a-z0-9-]{36}/IncomingWebhook/[a-f0-9]{32}/[a-z0-9-]{36})"#,
        r#"https://acme.webhook.office.com/webhookb2/7be7a271-02dd-21cf-92c5-9c9b5724dda4@c78d5ee4-32d2-55d5-85a4-40b8c2133cd2/IncomingWebhook/becec42554487e92b78d3c3c684656b5/95a39fe1-4a61-12fe-975a-c28c245e49e9"#,
        r#"https://acme.webhook.office.com/webhookb2/"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Chat, "mattermost-token", &[r#"mattermost"#],
        r#"(?i:mattermost[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-z0-9]{26})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"MATTERMOST_TOKEN=ba8hi2hrk28dypewmct2sj7dg9"#,
        r#"MATTERMOST_TOKEN="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Chat, "twitch-oauth-token", &[r#"twitch"#],
        r#"(?i:twitch[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-z0-9]{30})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"TWITCH_OAUTH=3mx47aim4botgx9inyfvvuc2xt639z"#,
        r#"TWITCH_OAUTH="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Chat, "twitter-bearer-token", &[r#"aaaaaaaaaaaaaaaaaaaaa"#],
        r#"\bAAAAAAAAAAAAAAAAAAAAA([A-Za-z0-9%]{30,120})"#,
        r#"TWITTER_BEARER=AAAAAAAAAAAAAAAAAAAAAxssX37vMWfAJa4o6C7p9AmAnmIkFz9MwrTYnk9CR%3DSCW5kg65Jj4rOO8R3oatYA4nSmAjzPP4i5F6jPWG"#,
        r#"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Chat, "twitter-api-secret", &[r#"twitter"#],
        r#"(?i:twitter[\w]*secret)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{50})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"TWITTER_API_SECRET=nMpUk6zWeBXcDuzzXPa9ZSC2NWmbgIWJPiy1wiU1cDGp9K11KY"#,
        r#"TWITTER_API_SECRET="#)
        .entropy(40).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Chat, "facebook-access-token", &[r#"eaa"#],
        r#"\b(EAA[A-Za-z0-9]{100,300})\b"#,
        r#"FB_TOKEN=EAABvsA39WOLmWYtCwLYoWIJnlTlfv0WCZXgVCR4VgzIkJQsKKqTpr19Vt25vSi1hStpLvDpgkjKPFWmoQgoSzgBR6KnXyqdw8vATqzoHlMbiaOmSXYzA6TCDCew"#,
        r#"EAA short token"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Chat, "facebook-app-secret", &[r#"facebook"#, r#"fb_app_secret"#, r#"fb-app-secret"#],
        r#"(?i:facebook[\w]*secret|fb[_-]app[_-]secret)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"FACEBOOK_APP_SECRET=3b62f6dd04f41af6d7acf728286d46c0"#,
        r#"FACEBOOK_APP_SECRET="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Chat, "line-channel-token", &[r#"line_channel"#, r#"line-channel"#],
        r#"(?i:line[_-]channel[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9+/=]{100,200})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"LINE_CHANNEL_ACCESS_TOKEN=4rNoLm1a/Kl+XKIG2edaqxPVJSnKfdkuoejcZ0xGz3SgI3oaWr3xTwfzwHf48fQ0hK3RYjFGhoYDZAcjPwBjx4P83Sd1Kzo1I8MT/g//FGlE+ty7cgQiEcmZdflUfAjZcQ7wj5K48ZxSRS3kxVMDmcMFGm2skA9MSveJrmtNeMH8"#,
        r#"LINE_CHANNEL_ACCESS_TOKEN="#)
        .entropy(40).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Chat, "zoom-api-secret", &[r#"zoom"#],
        r#"(?i:zoom[\w]*secret)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{32,36})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"ZOOM_API_SECRET=JJjGcgqD0C2foMk9cgpVOMNmZzZhefd6u3Lx"#,
        r#"ZOOM_API_SECRET="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
];
