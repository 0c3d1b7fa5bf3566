/**
 * A real Prometheus on loopback scrapes a running endpoint (the shipped scrape config and
 * alert rules, with the target and interval swapped), and its query API shows our series.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { createHandler } from "../../src/serve/handler.ts";
import { loadModel } from "../../src/serve/model.ts";
import { FEATURE_NAMES } from "../../src/features/schema.ts";
import { featuresObject, writeTestPackage } from "./_package.ts";
import { findBinary, PROMETHEUS_DIR } from "./_promtool.ts";

const prometheus = await findBinary("prometheus");

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function query(
  base: string,
  q: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = await res.json();
  return res.ok && body.status === "success" ? body.data.result : [];
}

Deno.test({
  name: "a real Prometheus scrapes the endpoint and its series arrive",
  ignore: prometheus === null,
  fn: async () => {
    const pkg = await writeTestPackage();
    const app = createHandler({ model: await loadModel(pkg.dir) });
    const ac = new AbortController();
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen: () => {} },
      app.fetch,
    );
    const target = `127.0.0.1:${server.addr.port}`;
    const F = FEATURE_NAMES.length;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`http://${target}/v1/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ features: featuresObject(pkg.X.data.slice(i * F, (i + 1) * F)) }),
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    await (await fetch(`http://${target}/nope`)).body?.cancel();

    const dir = await Deno.makeTempDir({ prefix: "aqlab_prom_" });
    const config = parse(await Deno.readTextFile(`${PROMETHEUS_DIR}/prometheus.yml`));
    config.global.scrape_interval = "1s";
    config.global.evaluation_interval = "1s";
    config.rule_files = [`${PROMETHEUS_DIR}/alerts.yml`];
    config.scrape_configs[0].static_configs = [{ targets: [target] }];
    await Deno.writeTextFile(`${dir}/prometheus.yml`, stringify(config));
    const port = freePort();
    const child = new Deno.Command(prometheus!, {
      args: [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const base = `http://127.0.0.1:${port}`;
    try {
      let series: Awaited<ReturnType<typeof query>> = [];
      const deadline = Date.now() + 40_000;
      while (Date.now() < deadline) {
        series = await query(base, 'aqlab_http_requests_total{route="/v1/predict",status="200"}')
          .catch(() => []);
        if (series.length > 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal(series.length, 1, "the predict counter never arrived in Prometheus");
      assert.equal(series[0]!.metric.job, "aqlab");
      assert.equal(Number(series[0]!.value[1]), 5);
      const info = await query(base, "aqlab_model_info");
      assert.equal(info[0]?.metric.version, "pm25:v1");
      const p = await query(base, "aqlab_prediction_value_count");
      assert.equal(Number(p[0]?.value[1]), 5);
      const up = await query(base, `up{instance="${target}"}`);
      assert.equal(up[0]?.value[1], "1");
      const rules = await (await fetch(`${base}/api/v1/rules`)).json();
      const names = rules.data.groups.flatMap((g: { rules: { name: string }[] }) =>
        g.rules.map((r) => r.name)
      );
      assert.ok(names.includes("AqlabModelNotReady"), JSON.stringify(names));
    } finally {
      child.kill("SIGTERM");
      await child.status;
      ac.abort();
      await server.finished;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
