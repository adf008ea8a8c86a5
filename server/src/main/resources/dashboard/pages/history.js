// A secret's history on the project page: the versions of one value (who, when, through which credential), their
// values on request (a recorded read), rollback to one of them; and the project's deleted secrets, restorable until
// they are purged.
import { h, mount, when } from "../dom.js";
import { get, post, path } from "../api.js";
import { dialog, confirmAction, notice, errorText } from "../ui.js";

const KINDS = { "api-token": "API token", "cli-token": "CLI token", "sign-in": "signed in", kubernetes: "Kubernetes identity" };

/** Person ids → emails, for admins (who may list members); others see "you" or "another person". */
async function people(ctx) {
  if (!ctx.isAdmin) return new Map();
  try {
    const members = await get(path`/v1/workspace/${ctx.ws}/members`);
    return new Map(members.map(m => [m.id, m.email]));
  } catch (e) {
    return new Map();
  }
}

function who(ctx, names, v) {
  const person = !v.changedBy ? "no person" : ctx.me && v.changedBy === ctx.me.id ? "you" : names.get(v.changedBy) || "another person";
  return person + (v.credentialKind ? " · " + (KINDS[v.credentialKind] || v.credentialKind) : "");
}

/** The history of `secret`'s value in `env` (the caller's override too, where it has one). `changed()` after a rollback. */
export async function showHistory(ctx, base, secret, env, writer, changed) {
  const url = base + "/secret/" + encodeURIComponent(secret.id) + "/versions?environmentId=" + encodeURIComponent(env.id);
  const [versions, names] = await Promise.all([get(url), people(ctx)]);
  const tbody = h("tbody");
  const status = h("p", { class: "muted", role: "status" });
  let values = null;
  const draw = () => mount(tbody, versions.map(v => {
    const shown = values && values.get(v.version + "/" + v.isPersonal);
    return h("tr", {},
      h("th", { scope: "row" }, "v" + v.version, v.isPersonal ? h("span", { class: "badge" }, "personal") : null),
      h("td", {}, when(v.changedAt)),
      h("td", {}, who(ctx, names, v)),
      h("td", { class: "mono" }, v.deleted ? (v.withSecret ? "deleted with the secret" : "deleted") : shown !== undefined && shown !== null ? shown : "••••••••"),
      h("td", {}, writer && !v.deleted ? h("button", { type: "button", class: "secondary small", onclick: () => rollback(v) },
        "Roll back", h("span", { class: "visually-hidden" }, " to version " + v.version)) : null));
  }));
  let close = null;
  const rollback = async v => {
    if (!await confirmAction("Roll back to version " + v.version + "?", "The value of " + secret.name + " in " + env.name
      + (v.isPersonal ? " (your override)" : "") + " becomes what it was in version " + v.version + ". This adds a new version; nothing is lost.",
    "Roll back to v" + v.version)) return;
    try {
      await post(base + "/secret/" + encodeURIComponent(secret.id) + "/rollback", { environmentId: env.id, version: v.version, isPersonal: v.isPersonal });
      notice("Rolled back to version " + v.version + ".");
      if (close) close();
      changed();
    } catch (e) {
      notice(errorText(e), "error");
    }
  };
  const reveal = h("button", { type: "button", class: "secondary small", onclick: async () => {
    try {
      const full = await get(url + "&includeValues=true");
      values = new Map(full.map(v => [v.version + "/" + v.isPersonal, v.value]));
      reveal.disabled = true;
      status.textContent = "Values shown; this read is recorded in the audit log.";
      draw();
    } catch (e) {
      status.textContent = errorText(e);
    }
  } }, "Show values");
  draw();
  return dialog({
    title: "History of " + secret.name + " · " + env.name, submitLabel: "Close", cancelLabel: null,
    build: form => {
      close = () => form.closest("dialog").close();
      return h("div", {},
        versions.length ? h("div", { class: "actions" }, reveal) : null, status,
        versions.length
          ? h("div", { class: "table-wrap" }, h("table", {},
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Version"), h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "By"),
              h("th", { scope: "col" }, "Value"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))), tbody))
          : h("p", { class: "muted" }, "No history in this environment."));
    }
  });
}

/** The project's deleted secrets with Restore (writers), or null when there are none to show. */
export async function deletedPanel(ctx, base, writer, refresh) {
  let deleted;
  try {
    deleted = await get(base + "/deleted-secret");
  } catch (e) {
    return null;
  }
  if (!deleted.length) return null;
  const restore = async d => {
    try {
      await post(base + "/deleted-secret/" + encodeURIComponent(d.id) + "/restore", {});
      notice("Restored " + d.name + ".");
      refresh();
    } catch (e) {
      notice(errorText(e), "error");
    }
  };
  return h("section", { class: "panel", "aria-labelledby": "deleted-heading" },
    h("h2", { id: "deleted-heading" }, "Recently deleted"),
    h("p", { class: "hint" }, "Deleted secrets can be restored with their values until they are purged."),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Deleted"), h("th", { scope: "col" }, "Purged"),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
      h("tbody", {}, deleted.map(d => h("tr", {},
        h("th", { scope: "row", class: "key" }, h("code", {}, d.name)),
        h("td", {}, when(d.deletedAt)),
        h("td", {}, when(d.purgeAt)),
        h("td", {}, writer ? h("button", { type: "button", class: "secondary small", onclick: () => restore(d) },
          "Restore", h("span", { class: "visually-hidden" }, " " + d.name)) : null)))))));
}
