//! `finmon serve` end to end: a real server process on a loopback port, real HTTP requests,
//! hot reload, and a restart after `kill -9`.

mod common;
use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_finmon"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start finmon serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("listening line");
        let addr = line
            .trim()
            .strip_prefix("finmon: listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        Server { child, addr }
    }

    /// One HTTP/1.1 request; returns (status, body).
    fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        // A server may answer (413) before reading a large body; ignore a reset then.
        let _ = s.write_all(body);
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp);
        let text = String::from_utf8_lossy(&resp).into_owned();
        let status: u16 = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status in {text:?}"));
        let body = text
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .to_string();
        (status, body)
    }

    fn json(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let (status, text) = self.request(method, path, body.to_string().as_bytes());
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}")),
        )
    }

    fn kill9(mut self) {
        // SIGKILL: no shutdown hook runs, no checkpoint is written.
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn topup(id: &str, amount: &str, iin: Option<&str>) -> Value {
    let mut v = json!({
        "tx_id": id, "timestamp": "2025-03-14T09:26:53+05:00", "kind": "card_topup",
        "from_account": "SENDER-1", "to_account": "CARD-9", "amount": amount, "currency": "KZT"
    });
    if let Some(i) = iin {
        v["sender_iin"] = json!(i);
    }
    v
}

#[test]
fn decisions_rules_health_metrics_and_errors() {
    let s = Server::start(&["--body-limit", "4096"]);
    let (st, v) = s.json("GET", "/healthz", &Value::Null);
    assert_eq!((st, v["status"].as_str()), (200, Some("ok")));

    let (st, d) = s.json("POST", "/v1/decisions", &topup("T1", "600000.00", None));
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["tx_id"], "T1");
    assert_eq!(d["decision"], "block");
    assert_eq!(d["hits"][0]["rule"], "KZ-IIN-TOPUP");
    assert!(d["hits"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("600,000.00"));
    assert!(d["micros"].as_f64().unwrap() >= 0.0);

    let batch = json!([
        topup("T2", "600000.00", Some("871008401427")),
        topup("T3", "500000.01", None)
    ]);
    let (st, d) = s.json("POST", "/v1/decisions", &batch);
    assert_eq!(st, 200);
    assert_eq!(d[0]["decision"], "allow", "a valid IIN");
    assert_eq!(d[1]["decision"], "block", "one tiyn above the threshold");

    // Malformed input: 4xx with a JSON error that says what is wrong.
    let (st, body) = s.request("POST", "/v1/decisions", b"{\"tx_id\": ");
    assert_eq!(st, 400);
    assert!(body.contains("malformed JSON"), "{body}");
    let (st, v) = s.json("POST", "/v1/decisions", &json!({"tx_id": "X"}));
    assert_eq!(st, 400);
    assert!(
        v["error"].as_str().unwrap().contains("missing field"),
        "{v}"
    );
    let (st, v) = s.json("POST", "/v1/decisions", &json!(42));
    assert_eq!(st, 400, "{v}");
    let mut bad = topup("T4", "600000.00", None);
    bad["timestamp"] = json!("yesterday");
    let (st, v) = s.json(
        "POST",
        "/v1/decisions",
        &json!([topup("T5", "1.00", None), bad]),
    );
    assert_eq!(st, 422);
    assert_eq!(v["errors"][0]["index"], 1, "{v}");
    // Nothing of a refused batch was decided: T5 is new afterwards.
    let (st, d) = s.json("POST", "/v1/decisions", &topup("T5", "1.00", None));
    assert_eq!((st, d["decision"].as_str()), (200, Some("allow")));
    let big = vec![b' '; 10_000];
    let (st, body) = s.request("POST", "/v1/decisions", &big);
    assert_eq!(st, 413);
    assert!(body.contains("larger than 4096 bytes"), "{body}");

    // A re-sent tx_id: the same answer; a reused one with other content: 409.
    let (st, d) = s.json("POST", "/v1/decisions", &topup("T1", "600000.00", None));
    assert_eq!((st, d["decision"].as_str()), (200, Some("block")));
    let (st, _) = s.json("POST", "/v1/decisions", &topup("T1", "700000.00", None));
    assert_eq!(st, 409);

    let (st, v) = s.json("GET", "/v1/rules", &Value::Null);
    assert_eq!(st, 200);
    let ids: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"KZ-IIN-TOPUP") && ids.contains(&"KZ-NEAR-THRESHOLD"),
        "{ids:?}"
    );
    let (st, v) = s.json("GET", "/openapi.json", &Value::Null);
    assert_eq!(st, 200);
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    assert!(v["paths"]["/v1/decisions"]["post"].is_object());
    let (st, text) = s.request("GET", "/metrics", b"");
    assert_eq!(st, 200);
    assert!(
        text.contains("finmon_decisions_total{decision=\"block\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("finmon_rule_hits_total{rule=\"KZ-IIN-TOPUP\"} 2"),
        "{text}"
    );
    let (st, _) = s.request("GET", "/nope", b"");
    assert_eq!(st, 404);
}

fn write_rules(path: &Path, threshold: &str) {
    std::fs::write(
        path,
        format!(
            "[[rule]]\nid = \"BIG\"\ndescription = \"big\"\noutcome = \"review\"\nseverity = \"low\"\nwhen = \"tx.amount_kzt > {threshold}\"\nreason = \"big: {{tx.amount_kzt}}\"\n"
        ),
    )
    .unwrap();
}

#[test]
fn hot_reload_keeps_the_running_rules_when_the_file_is_broken() {
    let dir = tmp("reload");
    let rules = dir.join("rules.toml");
    write_rules(&rules, "1000");
    let s = Server::start(&["--rules", rules.to_str().unwrap()]);
    let (_, d) = s.json("POST", "/v1/decisions", &topup("R1", "5000.00", None));
    assert_eq!(d["decision"], "review");

    std::fs::write(
        &rules,
        "[[rule]]\nid = \"BIG\"\nwhen = \"tx.amount_kzt >\"\n",
    )
    .unwrap();
    let (st, v) = s.json("POST", "/v1/rules/reload", &Value::Null);
    assert_eq!(st, 422, "{v}");
    assert!(
        v["diagnostics"].as_array().is_some_and(|d| !d.is_empty()),
        "{v}"
    );
    assert!(v["diagnostics"][0]["line"].as_u64().is_some(), "{v}");
    let (_, d) = s.json("POST", "/v1/decisions", &topup("R2", "5000.00", None));
    assert_eq!(d["decision"], "review", "the old rules still run");

    write_rules(&rules, "10000");
    let (st, v) = s.json("POST", "/v1/rules/reload", &Value::Null);
    assert_eq!(st, 200, "{v}");
    let (_, d) = s.json("POST", "/v1/decisions", &topup("R3", "5000.00", None));
    assert_eq!(d["decision"], "allow", "the new threshold applies");
}

#[test]
fn windows_survive_kill_9() {
    let state = tmp("state");
    let near = |id: &str, minute: u32| {
        let mut v = topup(id, "480000.00", None);
        v["timestamp"] = json!(format!("2025-03-14T10:{minute:02}:00+05:00"));
        v
    };
    let s = Server::start(&["--state", state.to_str().unwrap()]);
    for (i, id) in ["N1", "N2"].iter().enumerate() {
        let (st, d) = s.json("POST", "/v1/decisions", &near(id, i as u32));
        assert_eq!(st, 200);
        assert!(d["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["rule"] != "KZ-NEAR-THRESHOLD"));
    }
    s.kill9();

    let s = Server::start(&["--state", state.to_str().unwrap()]);
    // The third near-threshold top-up in 24 hours: the two before the crash still count.
    let (st, d) = s.json("POST", "/v1/decisions", &near("N3", 2));
    assert_eq!(st, 200);
    let hit = d["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["rule"] == "KZ-NEAR-THRESHOLD");
    assert!(hit.is_some(), "structuring window lost in the crash: {d}");
    assert!(
        hit.unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("3 operations"),
        "{d}"
    );
    // A request re-sent after the crash gets its first answer, and is not counted again.
    let (st, d) = s.json("POST", "/v1/decisions", &near("N2", 1));
    assert_eq!(st, 200);
    assert!(d["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["rule"] != "KZ-NEAR-THRESHOLD"));
    let (_, text) = s.request("GET", "/metrics", b"");
    assert!(
        text.contains("finmon_replayed_transactions_total 2"),
        "{text}"
    );
}
