//! Secret rules, family table: Model and AI-tooling providers: OpenAI, Anthropic, Hugging Face, Cohere, Mistral, Groq and others.
//! Generated once from a rule sheet; each row carries a true- and a false-positive example that
//! the table-driven test in `rules::tests` checks.

use super::{Family::*, SecretRule as R, Validator as V};
use palisade_core::{Confidence as C, Severity as S};

#[rustfmt::skip]
pub(super) const RULES: &[R] = &[
    R::new(Ai, "openai-api-key", &[r#"t3blbkfj"#],
        r#"\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,160}T3BlbkFJ[A-Za-z0-9_-]{20,160})(?:[^A-Za-z0-9_-]|$)"#,
        r#"OPENAI_API_KEY=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"#,
        r#"T3BlbkFJ is base64 of OpenAI"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(200, 200),
    R::new(Ai, "openai-project-key", &[r#"sk-proj-"#],
        r#"\b(sk-proj-[A-Za-z0-9_-]{100,200})(?:[^A-Za-z0-9_-]|$)"#,
        r#"sk-proj-bS6NnrCrYdq6Rpl3zZLhjj6mX6OLgr53Oi1lxikCMIv9HTHJZq52vQFtvUIP7qmw4CcwFMvMi2I2tf7Kdh0n6AF1i2cJNVNCDJFjL1Zs8TFVLrghMD1Nplvtq1WdNd7m0afa1CHji6H4eUN13E0e9djFKUuc"#,
        r#"sk-proj-abc"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Ai, "openai-admin-key", &[r#"sk-admin-"#],
        r#"\b(sk-admin-[A-Za-z0-9_-]{100,200})(?:[^A-Za-z0-9_-]|$)"#,
        r#"sk-admin-pUx3wM5nmPooDLYM90xjnUJ0tYEryThdmXw0rllVeOjCUhawDEFH548hTtPQsYzIRqVYqkiviKO55JlNS8CCC0tovsCX5jb76sOb5Kw9ksnEZpiSe2We3XvM"#,
        r#"sk-admin-panel"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Ai, "openai-service-account-key", &[r#"sk-svcacct-"#],
        r#"\b(sk-svcacct-[A-Za-z0-9_-]{100,200})(?:[^A-Za-z0-9_-]|$)"#,
        r#"sk-svcacct-udgqza8O3gOQfZ2lhlvp2Xv5KJePZv5W7f6Yg3AYMp2lQG3Xv6bY9YQKlCL3RYCTRtN3vJi2ymMiVD6MnxWsjwKwdFlCgAtr17eBO6m1MZho0QjHbqWXcUKo"#,
        r#"sk-svcacct-x"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Ai, "openai-legacy-key", &[r#"openai"#],
        r#"(?i:openai[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(sk-[A-Za-z0-9]{48})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"openai.api_key = "sk-IxNrWRLtA8oUgxurD5nHB9AAE4MtIuLKUh0CCOIXDR0J8Bt4""#,
        r#"openai.api_key = os.environ["OPENAI_API_KEY"]"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(8, 320),
    R::new(Ai, "anthropic-api-key", &[r#"sk-ant-api03-"#],
        r#"\b(sk-ant-api03-[A-Za-z0-9_-]{93}AA)(?:[^A-Za-z0-9_-]|$)"#,
        r#"ANTHROPIC_API_KEY=sk-ant-api03-xKl6qOiXkDoa9QuRrqUXqd1YihOuHFGLFBsG7Han1Oi8lbXOBqS7rrVwDmYHaQvgt8XUDXHhQHMJPRV3qtHzzWrCyzWwdAA"#,
        r#"sk-ant-api03-..."#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Ai, "anthropic-admin-key", &[r#"sk-ant-admin01-"#],
        r#"\b(sk-ant-admin01-[A-Za-z0-9_-]{93}AA)(?:[^A-Za-z0-9_-]|$)"#,
        r#"sk-ant-admin01-K5VE8vJirApHMyynygiEOKgPbhDR0hbswWvXBl20lDZWFxiWD9bLQgGRlaDZNLhLhn9ss34rJHMDwGfw1ReA9wG7ZgLrVAA"#,
        r#"sk-ant-admin01-x"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Ai, "anthropic-oauth-token", &[r#"sk-ant-oat01-"#, r#"sk-ant-ort01-"#],
        r#"\b(sk-ant-o[ar]t01-[A-Za-z0-9_-]{80,120})(?:[^A-Za-z0-9_-]|$)"#,
        r#"sk-ant-oat01-mOyCdInMzL8iF71WA47ZU0KQewGyFcVXsKkZzUvBJAgUeUzfHHFSeNR1s3pGG2jiGQy7CjHPSL1ei9RFeGas2nzplFVjEJp"#,
        r#"sk-ant-oat01-x"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Ai, "huggingface-access-token", &[r#"hf_"#],
        r#"\b(hf_[A-Za-z]{34})\b"#,
        r#"HF_TOKEN=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"#,
        r#"hf_hub_download_and_cache_the_model_files"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "huggingface-org-token", &[r#"api_org_"#],
        r#"\b(api_org_[A-Za-z]{34})\b"#,
        r#"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"#,
        r#"api_org_settings_page"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "cohere-api-key", &[r#"cohere"#, r#"co_api_key"#],
        r#"(?i:cohere[\w]*|co_api_key)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{40})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"COHERE_API_KEY=OlfYjdSjYh6RTiRio2rh8lIbTU1Z98NOKJXm0GwV"#,
        r#"COHERE_API_KEY=your_api_key"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "mistral-api-key", &[r#"mistral"#],
        r#"(?i:mistral[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"MISTRAL_API_KEY=7Rnul1WlQGIL0QjS60sKIMadHTTfINIe"#,
        r#"MISTRAL_API_KEY=<key>"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "groq-api-key", &[r#"gsk_"#],
        r#"\b(gsk_[A-Za-z0-9]{52})\b"#,
        r#"GROQ_API_KEY=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"#,
        r#"gsk_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Ai, "replicate-api-token", &[r#"r8_"#],
        r#"\b(r8_[A-Za-z0-9]{37})\b"#,
        r#"REPLICATE_API_TOKEN=r8_RuBlZdqqWBBeXwMvmgotDuKBxKeR3VxSYHQM4"#,
        r#"r8_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "perplexity-api-key", &[r#"pplx-"#],
        r#"\b(pplx-[A-Za-z0-9]{48})\b"#,
        r#"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"#,
        r#"pplx-api"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "xai-api-key", &[r#"xai-"#],
        r#"\b(xai-[A-Za-z0-9]{80})\b"#,
        r#"XAI_API_KEY=xai-KiHdDjo7HI3UB6cfXQRNf0V2f2Iunx2xDaeSvU7nWpqBdaWwJuayysHiTVKX4iVa3tiNqRUDrw3NziX1"#,
        r#"xai-grok"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "deepseek-api-key", &[r#"deepseek"#],
        r#"(?i:deepseek[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(sk-[a-f0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"DEEPSEEK_API_KEY=sk-52e55d31238b23e648bb972488ab4f2c"#,
        r#"DEEPSEEK_API_KEY=sk-xxx"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "together-api-key", &[r#"together"#],
        r#"(?i:together[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{64})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"TOGETHER_API_KEY=0c5456faad9f63e3c5269adbad015a09506fd1ecf9c14a88be8930de622b327b"#,
        r#"TOGETHER_API_KEY=none"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "fireworks-api-key", &[r#"fw_"#],
        r#"\b(fw_[A-Za-z0-9]{24})\b"#,
        r#"FIREWORKS_API_KEY=fw_rMqwphWSgRnTutY8JzFAExW8"#,
        r#"fw_version_string_to_display"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "langsmith-api-key", &[r#"lsv2_"#],
        r#"\b(lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b"#,
        r#"LANGSMITH_API_KEY=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"#,
        r#"lsv2_pt_short"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "pinecone-api-key", &[r#"pcsk_"#],
        r#"\b(pcsk_[A-Za-z0-9]{5,6}_[A-Za-z0-9]{60,70})\b"#,
        r#"PINECONE_API_KEY=pcsk_BcK2w_JwGe5EGpsS8TPasnrd8Qtsa4i6mYjBEoZci0bVLAMzoMeEVIA7GOsDCIt0kk2f5"#,
        r#"pcsk_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "pinecone-legacy-key", &[r#"pinecone"#],
        r#"(?i:pinecone[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"PINECONE_API_KEY=2f36d4cb-009b-fc65-47f7-4106aba874be"#,
        r#"PINECONE_API_KEY="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "wandb-api-key", &[r#"wandb"#],
        r#"(?i:wandb[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{40})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"WANDB_API_KEY=640ad594b4d01276db641bdb8060898065932e4b"#,
        r#"WANDB_API_KEY=local"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "openrouter-api-key", &[r#"sk-or-v1-"#],
        r#"\b(sk-or-v1-[a-f0-9]{64})\b"#,
        r#"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"#,
        r#"sk-or-v1-x"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "elevenlabs-api-key", &[r#"elevenlabs"#, r#"xi-api-key"#, r#"xi_api_key"#],
        r#"(?i:elevenlabs[\w]*|xi[_-]api[_-]key)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?((?:sk_)?[a-f0-9]{32,48})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"ELEVENLABS_API_KEY=sk_ff43c933175ab45657d38b3e20febc7fee648587110636e9"#,
        r#"ELEVENLABS_API_KEY=sk_"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "assemblyai-api-key", &[r#"assemblyai"#, r#"assembly_ai"#, r#"assembly-ai"#],
        r#"(?i:assembly[_-]?ai[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"ASSEMBLYAI_API_KEY=79670dd06cf9ccf50e36637c6acc8d9e"#,
        r#"ASSEMBLYAI_API_KEY=KEY"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "voyage-api-key", &[r#"voyage"#],
        r#"(?i:voyage[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(pa-[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"VOYAGE_API_KEY=pa-kvPIDaqIJ77x4yFdHBPIZyIGrUa5QhDRxGhLtpjkt3q"#,
        r#"VOYAGE_API_KEY=pa-"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "deepgram-api-key", &[r#"deepgram"#],
        r#"(?i:deepgram[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{40})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"DEEPGRAM_API_KEY=fde3ff8bc0dbf88206a9ccdea500485035c088d5"#,
        r#"DEEPGRAM_API_KEY="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "anyscale-api-key", &[r#"esecret_"#],
        r#"\b(esecret_[A-Za-z0-9]{26})\b"#,
        r#"esecret_OOgei6pvl7KV6aYwHETcqVUwMF"#,
        r#"esecret_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "cerebras-api-key", &[r#"csk-"#],
        r#"\b(csk-[a-z0-9]{48})\b"#,
        r#"CEREBRAS_API_KEY=csk-lwmd4ayo6cztxsgblfile9xt83lytbcevlgw8wyntddr0avb"#,
        r#"csk-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "nvidia-api-key", &[r#"nvapi-"#],
        r#"\b(nvapi-[A-Za-z0-9_-]{64})(?:[^A-Za-z0-9_-]|$)"#,
        r#"NVIDIA_API_KEY=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"#,
        r#"nvapi-docs"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "stability-api-key", &[r#"stability"#],
        r#"(?i:stability[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(sk-[A-Za-z0-9]{48})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"STABILITY_API_KEY=sk-v83NcG3jW8BQDKoSC9T4qshTswkOeBdgBpGdVM5XnUbDWWS7"#,
        r#"STABILITY_API_KEY=sk-"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "ai21-api-key", &[r#"ai21"#],
        r#"(?i:ai21[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"AI21_API_KEY=h6cmEa26PIWBGDVkFjyJoNM6AkH1naMd"#,
        r#"AI21_API_KEY="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "modal-token", &[r#"modal_token"#, r#"modal-token"#],
        r#"(?i:modal[_-]token[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?((?:ak|as)-[A-Za-z0-9]{22})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"MODAL_TOKEN_ID=ak-hFMmWBhYexNvkjgj4xt8Sx"#,
        r#"MODAL_TOKEN_ID=ak-"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "runpod-api-key", &[r#"runpod"#],
        r#"(?i:runpod[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(rpa_[A-Za-z0-9]{40,50}|[A-Z0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"RUNPOD_API_KEY=rpa_3NLG0LfVeTBnELHYJP9jdbODGB9yOUJ99Os98499NehR"#,
        r#"RUNPOD_API_KEY=rpa_"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "jina-api-key", &[r#"jina_"#],
        r#"\b(jina_[a-f0-9]{32}[A-Za-z0-9_-]{30,40})(?:[^A-Za-z0-9_-]|$)"#,
        r#"JINA_API_KEY=jina_7ccb44a4c5ee625bfa48c576790579136YHvMG1kA11Q9pXDTiNXTNLRXQriZh3Bpr6C"#,
        r#"jina_embeddings_v2"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "tavily-api-key", &[r#"tvly-"#],
        r#"\b(tvly-(?:dev-)?[A-Za-z0-9]{32})\b"#,
        r#"TAVILY_API_KEY=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"#,
        r#"tvly-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "serpapi-key", &[r#"serpapi"#],
        r#"(?i:serpapi[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{64})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"SERPAPI_API_KEY=6044bbfd19a7a04f1f7cbdafd4ee0fe7e4916c7646a3e4443d12ca2b07b5dee2"#,
        r#"SERPAPI_API_KEY="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Ai, "llamacloud-api-key", &[r#"llx-"#],
        r#"\b(llx-[A-Za-z0-9]{48})\b"#,
        r#"LLAMA_CLOUD_API_KEY=llx-visQpo7dHpJpzEDTm29pqxKyqefdzLL3jw8S3wEVtfbzIAPu"#,
        r#"llx-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Ai, "google-gemini-key", &[r#"gemini_api_key"#, r#"gemini-api-key"#, r#"google_api_key"#, r#"google-api-key"#],
        r#"(?i:gemini[_-]?api[_-]?key|google[_-]?api[_-]?key)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(AIza[0-9A-Za-z_-]{35})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"GEMINI_API_KEY=AIzaX3ImKaXc_NF4EwKBWKYmIy1uRiCUz82cPuN"#,
        r#"GEMINI_API_KEY=AIza"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(8, 320),
];
