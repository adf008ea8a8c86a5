// The audit log (admins): newest first, filtered, a page at a time; verify the hash chain (also against a head the
// server logged and a log system kept); export JSON Lines.
import { h, mount, field, when } from "../dom.js";
import { get, path } from "../api.js";
import { errorText } from "../ui.js";

export async function render(main, ctx) {
  const { ws } = ctx;
  const base = path`/v1/workspace/${ws}/audit`;
  const tbody = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const verdict = h("p", { role: "status" });
  const error = h("p", { class: "error", role: "alert" });
  const action = h("input", { name: "action", placeholder: "e.g. update, view, sign-in-failed", autocomplete: "off" });
  const entity = h("input", { name: "entity", autocomplete: "off" });
  const from = h("input", { name: "from", type: "datetime-local" });
  const to = h("input", { name: "to", type: "datetime-local" });
  const headSeq = h("input", { name: "seq", inputmode: "numeric", autocomplete: "off" });
  const headHash = h("input", { name: "hash", autocomplete: "off", spellcheck: "false", class: "mono" });
  let cursor = null;
  // who did it, by email where the person is a member (the log keeps ids; a removed person stays an id)
  const people = new Map();
  try {
    for (const m of await get(path`/v1/workspace/${ws}/members`)) if (m.status === "account_created") people.set(m.id, m.email);
  } catch (e) { /* ids then */ }

  const query = () => {
    const q = new URLSearchParams();
    if (action.value.trim()) q.set("action", action.value.trim());
    if (entity.value.trim()) q.set("entity", entity.value.trim());
    if (from.value) q.set("from", new Date(from.value).toISOString());
    if (to.value) q.set("to", new Date(to.value).toISOString());
    q.set("limit", "50");
    if (cursor) q.set("cursor", cursor);
    return q;
  };
  const load = async append => {
    error.textContent = "";
    if (!append) { cursor = null; tbody.replaceChildren(); }
    try {
      const page = await get(base + "?" + query());
      for (const e of page.entries) tbody.append(row(e, people));
      cursor = page.next;
      more.hidden = !cursor;
    } catch (e) { error.textContent = errorText(e); }
  };
  more.addEventListener("click", () => load(true));

  const filters = h("form", { class: "filters", onsubmit: e => { e.preventDefault(); load(false); } },
    field("Action", action), field("Entity id", entity), field("From", from), field("To", to),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Filter")));

  // the chain alone, or against the head in the fields (the server names a missing or malformed one)
  const verify = async withHead => {
    verdict.className = "";
    verdict.textContent = "Checking…";
    const seq = headSeq.value.trim(), hash = headHash.value.trim();
    const q = withHead ? "?" + new URLSearchParams({ seq, hash }) : "";
    try {
      const v = await get(base + "/verify" + q);
      verdict.className = v.intact ? "ok" : "error";
      verdict.textContent = v.intact ? "The chain is intact: " + v.checked + " entries checked" + (q ? ", and it holds the notarised head #" + seq + "." : ".")
        : "The chain is broken at entry " + v.firstBadSeq + ": " + (v.problem || "it does not match") + ". " + v.checked + " entries matched before it.";
    } catch (e) { verdict.className = "error"; verdict.textContent = errorText(e); }
  };
  // a chain checks only itself: cut short at its end or rebuilt from its start it still links up; a head kept elsewhere shows it
  const notarised = h("details", { class: "notarised" }, h("summary", {}, "Verify against a notarised head"),
    h("p", { class: "muted" }, "The server logs each chain's head (\"audit\":\"head\") every few minutes. Give one a log system outside the database kept: the chain must still reach it and hold its hash."),
    h("form", { class: "filters", onsubmit: e => { e.preventDefault(); verify(true); } },
      field("Sequence number", headSeq), field("Hash", headHash),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Verify against this head"))));

  mount(main,
    h("div", { class: "page-head" }, h("h1", {}, "Audit log"),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: () => verify(false) }, "Verify the chain"),
        h("a", { class: "button secondary", href: base + "/export", download: "audit-" + ws + ".jsonl" }, "Export (JSON Lines)"))),
    verdict, notarised, filters, error,
    h("div", { class: "table-wrap" }, h("table", { class: "audit" },
      h("thead", {}, h("tr", {}, ["When", "Action", "Who", "From", "What", "Outcome"].map(t => h("th", { scope: "col" }, t)))), tbody)),
    more);
  await load(false);
}

function row(e, people) {
  const who = [e.actorUserId ? people.get(e.actorUserId) || "person " + e.actorUserId.slice(0, 8) : null, e.credentialKind, e.credentialId ? "credential " + e.credentialId.slice(0, 8) : null]
    .filter(Boolean).join(" · ");
  const what = [e.entityType, e.entityId ? e.entityId : null].filter(Boolean).join(" ");
  const details = e.before || e.after ? h("details", {}, h("summary", {}, "Details"),
    h("pre", {}, JSON.stringify({ before: e.before || undefined, after: e.after || undefined }, null, 2))) : null;
  return h("tr", { class: e.outcome === "success" ? null : "inactive" },
    h("td", {}, when(e.at), h("div", { class: "muted" }, "#" + e.seq)),
    h("td", {}, h("code", {}, e.action)),
    h("td", {}, who || "—"),
    h("td", {}, e.clientAddress || "—"),
    h("td", {}, what, details),
    h("td", {}, e.outcome));
}
