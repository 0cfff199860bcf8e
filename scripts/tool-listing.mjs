// The answer to tools/list, as the built server gives it, written beside it: the stdio server answers a client's
// first tools/list from this file before the MCP SDK and the tools have loaded (src/server/stdio-prelude.ts).
import { writeFileSync } from "node:fs";
import { publishedToolList } from "../dist/server/create-server.js";

writeFileSync("dist/server/tool-listing.json", JSON.stringify(publishedToolList()));
