/** The card pages: model and data cards, the audit results, governance documents and risks. */
import { exists, Out, repo } from "./_artifacts.ts";

const out = new Out();
out.data.model_card = await out.text("reports/cards/model_card.md");
out.data.model_card_json = await out.json("reports/cards/model_card.json");
out.data.data_card = await out.text("reports/cards/data_card.md");
out.data.data_card_json = await out.json("reports/cards/data_card.json");
out.data.audit = await out.json("reports/cards/audit.json");
out.data.risks = await out.json("governance/risks.json");
const docs: Record<string, string> = {};
if (await exists("governance")) {
  for await (const e of Deno.readDir(repo("governance"))) {
    if (e.isFile && e.name.endsWith(".md")) {
      docs[e.name] = await Deno.readTextFile(repo(`governance/${e.name}`));
    }
  }
}
out.data.governance = Object.fromEntries(Object.entries(docs).sort());
out.data.drift = await out.json("reports/drift/latest.json");
await out.emit();
