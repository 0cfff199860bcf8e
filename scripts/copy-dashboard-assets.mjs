// The dashboard's page and stylesheet go beside its compiled scripts in dist/, the one folder the package ships.
import { copyFileSync, mkdirSync } from "node:fs";

const from = "src/server/http/dashboard/ui";
const to = "dist/server/http/dashboard/ui";
mkdirSync(to, { recursive: true });
for (const name of ["index.html", "dashboard.css"]) copyFileSync(`${from}/${name}`, `${to}/${name}`);
