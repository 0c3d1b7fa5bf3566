/**
 * The report site (Observable Framework 1.13, run under Deno: `deno task site` /
 * `deno task site:build`). It must build and run with no network: no default stylesheet
 * (it loads a Google font), libraries imported explicitly from node_modules in the pages,
 * wasm files served from the site itself (see notebooks/lib/).
 */
export default {
  root: "notebooks",
  output: "dist",
  title: "aqlab",
  globalStylesheets: [],
  // An empty icon: otherwise the browser asks for /favicon.ico, which a static host lacks.
  head: '<link rel="icon" href="data:,">',
  style: "style.css",
  search: false,
  // Links name the file ("./evaluation.html", "./index.html"): the built site then works on
  // any static server, one that does not append ".html" or map "/" to index.html included.
  preserveExtension: true,
  preserveIndex: true,
  // No "Contents" column: the pages' headings live in cards (no anchors), and the column
  // would take 192 px from every chart and table at desktop width.
  toc: false,
  linkify: true,
  pager: false,
  footer: "aqlab: built from the pipeline's artifacts with Observable Framework.",
  interpreters: {
    ".ts": ["deno", "run", "-A", "--quiet"],
  },
  pages: [
    { name: "Overview", path: "/" },
    { name: "Data", path: "/data" },
    { name: "Evaluation", path: "/evaluation" },
    { name: "Explanations", path: "/explanations" },
    { name: "Drift", path: "/drift" },
    { name: "What-if", path: "/what-if" },
    { name: "Score a slice", path: "/score" },
    { name: "Runs and tuning", path: "/runs" },
    { name: "Registry", path: "/registry" },
    {
      name: "Cards",
      open: true,
      pages: [
        { name: "Model card", path: "/model-card" },
        { name: "Data card", path: "/data-card" },
        { name: "Governance", path: "/governance" },
      ],
    },
  ],
};
