//! What the page (or `chimera generate`) asks for: which backend and model,
//! the prompts, and the generation options.

use serde::{Deserialize, Serialize};

/// One generation request, as the page sends it to the companion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    /// The backend's configured name; never a URL.
    pub backend: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub prompt: String,
    #[serde(default)]
    pub options: GenerationOptions,
}

/// Generation options, named as Ollama names them. `None` leaves the
/// backend's default in place.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerationOptions {
    /// Layers offloaded to the GPU (Ollama only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_gpu: Option<i64>,
    /// Context window in tokens (Ollama only: OpenAI-compatible servers fix it at start-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_ctx: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Most tokens to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_predict: Option<i64>,
    /// How long Ollama keeps the model loaded afterwards, e.g. "5m" (Ollama only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<String>,
}

/// The option names `--option key=value` accepts.
pub const OPTION_NAMES: [&str; 9] = [
    "num_gpu",
    "num_ctx",
    "temperature",
    "top_p",
    "top_k",
    "repeat_penalty",
    "seed",
    "num_predict",
    "keep_alive",
];

impl GenerationOptions {
    /// Sets one option from text, checking its type and range.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        fn parse<T: std::str::FromStr>(key: &str, value: &str, what: &str) -> Result<T, String> {
            value
                .trim()
                .parse()
                .map_err(|_| format!("option {key} must be {what}, not {value:?}"))
        }
        fn unit_range(key: &str, value: f64, low: f64, high: f64) -> Result<f64, String> {
            if value.is_finite() && (low..=high).contains(&value) {
                Ok(value)
            } else {
                Err(format!(
                    "option {key} must be between {low} and {high}, not {value}"
                ))
            }
        }
        match key {
            "num_gpu" => self.num_gpu = Some(parse(key, value, "a whole number of layers")?),
            "num_ctx" => {
                let n: u64 = parse(key, value, "a positive number of tokens")?;
                if n == 0 {
                    return Err("option num_ctx must be at least 1".into());
                }
                self.num_ctx = Some(n);
            }
            "temperature" => {
                self.temperature = Some(unit_range(key, parse(key, value, "a number")?, 0.0, 2.0)?)
            }
            "top_p" => {
                self.top_p = Some(unit_range(key, parse(key, value, "a number")?, 0.0, 1.0)?)
            }
            "top_k" => self.top_k = Some(parse(key, value, "a whole number")?),
            "repeat_penalty" => {
                self.repeat_penalty =
                    Some(unit_range(key, parse(key, value, "a number")?, 0.0, 10.0)?)
            }
            "seed" => self.seed = Some(parse(key, value, "a whole number")?),
            "num_predict" => self.num_predict = Some(parse(key, value, "a whole number")?),
            "keep_alive" => self.keep_alive = Some(value.trim().to_owned()),
            other => {
                return Err(format!(
                    "unknown option {other:?}; known options: {}",
                    OPTION_NAMES.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// `key=value` pairs of the options that are set, for reports and logs.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        macro_rules! push {
            ($field:ident) => {
                if let Some(value) = &self.$field {
                    out.push((stringify!($field), value.to_string()));
                }
            };
        }
        push!(num_gpu);
        push!(num_ctx);
        push!(temperature);
        push!(top_p);
        push!(top_k);
        push!(repeat_penalty);
        push!(seed);
        push!(num_predict);
        push!(keep_alive);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_validate() {
        let mut options = GenerationOptions::default();
        options.set("temperature", "0.7").unwrap();
        options.set("num_gpu", "80").unwrap();
        options.set("keep_alive", "5m").unwrap();
        assert_eq!(options.temperature, Some(0.7));
        assert_eq!(options.num_gpu, Some(80));
        assert!(
            options
                .set("temperature", "hot")
                .unwrap_err()
                .contains("must be a number")
        );
        assert!(
            options
                .set("top_p", "1.5")
                .unwrap_err()
                .contains("between 0 and 1")
        );
        assert!(options.set("num_ctx", "0").is_err());
        assert!(
            options
                .set("mirostat", "1")
                .unwrap_err()
                .starts_with("unknown option")
        );
    }

    #[test]
    fn only_set_options_are_described() {
        let options = GenerationOptions {
            num_ctx: Some(512),
            seed: Some(7),
            ..Default::default()
        };
        assert_eq!(
            options.describe(),
            [("num_ctx", "512".to_string()), ("seed", "7".to_string())]
        );
    }
}
