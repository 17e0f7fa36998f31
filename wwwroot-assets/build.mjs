// Copies what the browser needs into dist/: our sources, KaTeX's bundle and fonts, and the Roboto weights MudBlazor uses.
import { cpSync, mkdirSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
cpSync("src", "dist", { recursive: true });
cpSync("node_modules/katex/dist/katex.min.css", "dist/katex/katex.min.css");
cpSync("node_modules/katex/dist/katex.min.js", "dist/katex/katex.min.js");
cpSync("node_modules/katex/dist/fonts", "dist/katex/fonts", { recursive: true });
for (const weight of ["300", "400", "500", "700"])
  cpSync(`node_modules/@fontsource/roboto/files/roboto-latin-${weight}-normal.woff2`, `dist/roboto/roboto-latin-${weight}-normal.woff2`);
