//! Ordinary traffic before the attack, so every identity has a baseline of its own: the
//! vendor labels samples on its segment's model, the research agent uses its own model, the
//! training-tier checkpoint (a named flow) and the external model with harmless questions,
//! the training workload evaluates its checkpoint. Streaming and non-streaming calls mix.

use super::cast::Cast;
use super::config::LEARNING_REQUESTS;
use anyhow::{bail, Result};

/// A vendor labeling request of usual size.
pub fn labeling_prompt(i: u64) -> String {
    format!(
        "Label the sentiment of sample #{i:04} as positive, neutral or negative and explain in \
         one sentence: 'The delivery arrived on time and the support team answered quickly.'"
    )
}

/// Sends the ordinary traffic; every call must succeed. Returns the number of calls.
pub async fn run(cast: &Cast) -> Result<u32> {
    let mut calls = 0u32;
    let mut ok = |who: &str, a: super::client::Answer| -> Result<()> {
        calls += 1;
        if a.status != 200 {
            bail!("ordinary call by {who} refused: {} {}", a.status, a.body);
        }
        Ok(())
    };
    for i in 0..LEARNING_REQUESTS + 2 {
        let stream = i % 4 == 3;
        ok(
            "vendor",
            cast.vendor
                .chat("labeling-small", &labeling_prompt(i), stream)
                .await?,
        )?;
    }
    let research = [
        (
            "research-llm",
            "Summarise the public abstract of the attention paper in two lines.",
            false,
        ),
        (
            "research-llm",
            "List three open questions in retrieval augmented generation.",
            true,
        ),
        ("ckpt-70b-latest", "Evaluate: what is 17 times 23?", false),
        ("gpt-4o", "What is the capital of Portugal?", false),
    ];
    for (model, prompt, stream) in research {
        ok(
            "research agent",
            cast.research.chat(model, prompt, stream).await?,
        )?;
    }
    ok(
        "training workload",
        cast.trainer
            .chat(
                "ckpt-70b-latest",
                "Evaluate: translate 'good morning' to French.",
                false,
            )
            .await?,
    )?;
    Ok(calls)
}
