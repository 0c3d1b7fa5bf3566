import assert from "node:assert/strict";
import { findBinary, PROMETHEUS_DIR } from "./_promtool.ts";

const promtool = await findBinary("promtool");

async function run(args: string[], cwd = PROMETHEUS_DIR) {
  const out = await new Deno.Command(promtool!, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

Deno.test({
  name: "promtool: the alert rules and the scrape config check",
  ignore: promtool === null,
  fn: async () => {
    const rules = await run(["check", "rules", "alerts.yml"]);
    assert.equal(rules.code, 0, rules.text);
    assert.match(rules.text, /SUCCESS: 6 rules found/);
    const config = await run(["check", "config", "prometheus.yml"]);
    assert.equal(config.code, 0, config.text);
  },
});

Deno.test({
  name: "promtool: the alert rules pass their unit tests",
  ignore: promtool === null,
  fn: async () => {
    const res = await run(["test", "rules", "alerts_test.yml"]);
    assert.equal(res.code, 0, res.text);
    assert.match(res.text, /SUCCESS/);
  },
});

Deno.test({
  name: "promtool: a broken rule and a wrong expectation are caught (the checks can fail)",
  ignore: promtool === null,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "aqlab_promtool_" });
    try {
      const rules = await Deno.readTextFile(`${PROMETHEUS_DIR}/alerts.yml`);
      await Deno.writeTextFile(`${dir}/alerts.yml`, rules.replace("> 0.01", "> > 0.01"));
      assert.notEqual((await run(["check", "rules", "alerts.yml"], dir)).code, 0);
      await Deno.writeTextFile(`${dir}/alerts.yml`, rules);
      const tests = await Deno.readTextFile(`${PROMETHEUS_DIR}/alerts_test.yml`);
      await Deno.writeTextFile(
        `${dir}/alerts_test.yml`,
        tests.replace('description: "5% of requests', 'description: "7% of requests'),
      );
      assert.notEqual((await run(["test", "rules", "alerts_test.yml"], dir)).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
