// Reads a .env file: KEY=value per line, "#" comments, an optional "export ", single or double quotes (double
// quotes understand \n, \r, \t, \" and \\, as `ek import` does), and a value quoted over several lines. The last of a
// repeated key wins.
export function parseDotenv(text) {
  const entries = new Map();
  const errors = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trim();
    if (!line || line.startsWith("#")) continue;
    if (line.startsWith("export ")) line = line.slice(7).trim();
    const eq = line.indexOf("=");
    if (eq <= 0) { errors.push("Line " + (i + 1) + " is not KEY=value."); continue; }
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (!/^[A-Za-z0-9_-]+$/.test(key)) { errors.push("Line " + (i + 1) + ": '" + key + "' is not a valid key."); continue; }
    const quote = value[0];
    if (quote === "\"" || quote === "'") {
      let body = value.slice(1);
      while (!closes(body, quote) && i + 1 < lines.length) body += "\n" + lines[++i];
      if (!closes(body, quote)) { errors.push("Line " + (i + 1) + ": the quote of " + key + " is not closed."); continue; }
      body = body.slice(0, closingIndex(body, quote));
      value = quote === "\"" ? body.replace(/\\([nrt"\\])/g, (m, c) => ESCAPES[c] ?? c) : body;
    } else {
      const hash = value.search(/\s#/);
      if (hash >= 0) value = value.slice(0, hash).trim();
    }
    entries.set(key, value);
  }
  return { entries: [...entries].map(([key, value]) => ({ key, value })).filter(e => e.value !== ""), errors };
}

const ESCAPES = { n: "\n", r: "\r", t: "\t" };

function closingIndex(body, quote) {
  for (let j = 0; j < body.length; j++) {
    if (quote === "\"" && body[j] === "\\") { j++; continue; }
    if (body[j] === quote) return j;
  }
  return -1;
}

function closes(body, quote) {
  return closingIndex(body, quote) >= 0;
}
