// Build the pages' styles and scripts into ./build (gitignored), which Flask serves at /assets/.
//
// Run by `make` after `npm ci`: the GOV.UK Frontend Sass is compiled with the organisation's system font
// (no GDS Transport @font-face, no crown), and the design system's ES module is copied beside our init.
// The easy-read pictures named in ledger/easy_read_icons.json are copied from lucide-static into build/icons/
// with the icon set's licence (build/icons/LICENSE.txt, linked from every page's footer).
import { compile } from "sass";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const out = join(here, "build");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
mkdirSync(out, { recursive: true });

const css = compile(join(here, "application.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
if (css.css.includes("GDS Transport")) {
  throw new Error("the compiled CSS names GDS Transport: the font must not be served");
}
writeFileSync(join(out, "application.css"), css.css);
copyFileSync(join(govuk, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));
copyFileSync(join(govuk, "govuk-frontend.min.js.map"), join(out, "govuk-frontend.min.js.map"));
copyFileSync(join(here, "application.js"), join(out, "application.js"));

const lucide = join(root, "node_modules", "lucide-static");
const icons = join(out, "icons");
mkdirSync(icons, { recursive: true });
const named = JSON.parse(readFileSync(join(root, "ledger", "easy_read_icons.json"), "utf8"));
const files = [...new Set(Object.entries(named).filter(([idea]) => !idea.startsWith("_")).map(([, file]) => file))];
for (const file of files) {
  copyFileSync(join(lucide, "icons", `${file}.svg`), join(icons, `${file}.svg`));
}
copyFileSync(join(lucide, "LICENSE"), join(icons, "LICENSE.txt"));

// The API's documentation page: Swagger UI's bundle and styles from swagger-ui-dist, with its licence.
const swagger = join(root, "node_modules", "swagger-ui-dist");
const docs = join(out, "api-docs");
mkdirSync(docs, { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"]) {
  copyFileSync(join(swagger, file), join(docs, file === "LICENSE" ? "LICENSE.txt" : file));
}
copyFileSync(join(here, "api-docs.js"), join(docs, "api-docs.js"));
copyFileSync(join(here, "api-docs.css"), join(docs, "api-docs.css"));
console.log(`built ${out}: application.css (${css.css.length} bytes), application.js, govuk-frontend.min.js, ${files.length} icons`);
