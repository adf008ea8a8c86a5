// The Credentials page as Enkryptify's documentation describes it: API tokens and Kubernetes identities in one
// table, newest first, with who created each, its permission, scope, expiry and last use; create, rotate, revoke.
// What the person may not do is not offered (a read-only member creates read-only credentials only).
import { h, mount, field, when, relative } from "../dom.js";
import { get, post, del, path } from "../api.js";
import { dialog, confirmAction, notice, errorText, copy, loadTree, scopePicker, describeScope } from "../ui.js";

const LIFETIMES = [["24h", "24 hours"], ["5d", "5 days"], ["30d", "30 days"], ["60d", "60 days"], ["3m", "3 months"], ["6m", "6 months"]];
const KINDS = { "api-token": "API token", "cli-token": "CLI token", "kubernetes": "Kubernetes identity" };

export async function render(main, ctx) {
  const { ws, access } = ctx;
  const [list, tree] = await Promise.all([get(path`/v1/workspace/${ws}/credentials`), loadTree(ws)]);
  const canWrite = access.permission === "read-write";
  const refresh = () => render(main, ctx);
  list.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));

  const status = c => c.revokedAt ? "revoked" : c.expiresAt && new Date(c.expiresAt) < new Date() ? "expired" : "active";

  const permissionChoice = () => h("fieldset", {}, h("legend", {}, "Permission"),
    h("label", { class: "check" }, h("input", { type: "radio", name: "permission", value: "read", checked: true }), "Read"),
    canWrite ? h("label", { class: "check" }, h("input", { type: "radio", name: "permission", value: "read-write" }), "Read & write") : null,
    canWrite ? null : h("p", { class: "hint" }, "Your role allows read-only credentials."));
  const scoped = !!(access.scope && !access.scope.all);
  // a scoped person cannot make a full-workspace credential: the choice is not offered
  const pickerFor = () => {
    const picker = scopePicker(tree, scoped ? { all: false } : { all: true });
    if (scoped) {
      picker.element.querySelector("input[value=all]").closest("label").hidden = true;
      // only what lies within the person's own scope may be chosen: a team or project above it is shown as a heading
      const mine = new Set([...(access.scope.teams || []), ...(access.scope.projects || []), ...(access.scope.environments || [])]);
      const above = new Map();
      for (const t of tree) for (const p of t.projects) {
        above.set(p.id, [t.id]);
        for (const e of p.environments || []) above.set(e.id, [t.id, p.id]);
      }
      for (const box of picker.element.querySelectorAll("input[type=checkbox]")) {
        const id = box.dataset.id;
        if (!mine.has(id) && !(above.get(id) || []).some(a => mine.has(a))) { box.hidden = true; box.disabled = true; }
      }
    }
    return picker;
  };

  const createToken = () => {
    let picker;
    return dialog({
      title: "Create an API token", submitLabel: "Create token",
      build: () => {
        picker = pickerFor();
        return h("div", {},
          field("Name", h("input", { name: "name", required: true, maxlength: 64, autocomplete: "off" }), "What uses it, e.g. “GitHub Actions deploy”."),
          permissionChoice(), picker.element,
          field("Expires after", h("select", { name: "expiresIn" }, LIFETIMES.map(([v, label]) => h("option", { value: v, selected: v === "30d" }, label)))));
      },
      submit: async form => {
        picker.validate();
        return post(path`/v1/workspace/${ws}/tokens`, { name: form.name.value.trim(), permission: form.permission.value,
          scope: picker.value(), expiresIn: form.expiresIn.value });
      }
    }).then(created => created && showOnce("Your new API token", created).then(refresh));
  };

  const createIdentity = () => {
    let picker;
    return dialog({
      title: "Add a Kubernetes identity", submitLabel: "Add identity",
      build: () => {
        picker = pickerFor();
        return h("div", {},
          field("Name", h("input", { name: "name", required: true, maxlength: 64, autocomplete: "off" })),
          field("Issuer", h("input", { name: "issuer", required: true, maxlength: 512, type: "url", placeholder: "https://kubernetes.default.svc" }),
            "The cluster's service-account issuer (kubectl get --raw /.well-known/openid-configuration)."),
          field("Audience", h("input", { name: "audience", required: true, maxlength: 256 }), "The audience of the projected service-account token."),
          field("Subject", h("input", { name: "subject", required: true, maxlength: 339, placeholder: "system:serviceaccount:payments:api" }),
            "system:serviceaccount:<namespace>:<name>, or …:<namespace>:* for every service account of a namespace."),
          permissionChoice(), picker.element,
          field("Public keys (JWKS, optional)", h("textarea", { name: "jwks", rows: 4, class: "mono", spellcheck: "false" }),
            "Paste kubectl get --raw /openid/v1/jwks when the server cannot reach the issuer."));
      },
      submit: async form => {
        picker.validate();
        const body = { name: form.name.value.trim(), issuer: form.issuer.value.trim(), audience: form.audience.value.trim(),
          subject: form.subject.value.trim(), permission: form.permission.value, scope: picker.value() };
        if (form.jwks.value.trim()) {
          try { body.jwks = JSON.parse(form.jwks.value); } catch (e) { throw new Error("The public keys are not valid JSON."); }
        }
        await post(path`/v1/workspace/${ws}/oidc`, body);
        notice("Kubernetes identity added.");
      }
    }).then(r => r && refresh());
  };

  const rotate = async c => {
    if (!await confirmAction("Rotate " + c.name + "?", "A new value is created with the same name, permission and scope. The current value stops working at once.", "Rotate")) return;
    try { await showOnce("The new value of " + c.name, await post(path`/v1/workspace/${ws}/tokens/${c.id}/rotate`, {})); }
    catch (e) { notice(errorText(e), "error"); }
    refresh();
  };

  const revoke = async c => {
    if (!await confirmAction("Revoke " + c.name + "?", "Everything using it is refused from now on. This cannot be undone.", "Revoke")) return;
    try {
      await del(c.kind === "kubernetes" ? path`/v1/workspace/${ws}/oidc/${c.id}` : path`/v1/workspace/${ws}/tokens/${c.id}`);
      notice(c.name + " revoked.");
    } catch (e) { notice(errorText(e), "error"); }
    refresh();
  };

  const rows = list.map(c => {
    const st = status(c);
    return h("tr", { class: st === "active" ? null : "inactive" },
      h("td", {}, h("strong", {}, c.name), c.prefix ? h("div", {}, h("code", { class: "muted" }, c.prefix + "…")) : null),
      h("td", {}, KINDS[c.kind] || c.kind),
      h("td", {}, c.createdByEmail || "—", h("div", { class: "muted" }, when(c.createdAt))),
      h("td", {}, c.permission === "read-write" ? "Read & write" : "Read"),
      h("td", {}, describeScope(c.scope, tree)),
      h("td", {}, st === "revoked" ? "Revoked " + when(c.revokedAt) : c.expiresAt ? (st === "expired" ? "Expired " : "") + relative(c.expiresAt) : "Never"),
      h("td", {}, c.lastUsedAt ? relative(c.lastUsedAt) : "Never used"),
      h("td", { class: "row-actions" }, st === "active" ? [
        c.kind === "api-token" ? h("button", { type: "button", class: "secondary small", onclick: () => rotate(c) }, "Rotate", h("span", { class: "visually-hidden" }, " " + c.name)) : null,
        h("button", { type: "button", class: "danger small", onclick: () => revoke(c) }, "Revoke", h("span", { class: "visually-hidden" }, " " + c.name))] : null));
  });

  mount(main,
    h("div", { class: "page-head" }, h("h1", {}, "Credentials"),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", onclick: () => ctx.isAdmin ? chooseKind(createToken, createIdentity) : createToken() }, "Create credential"))),
    h("p", { class: "muted" }, "API tokens for CI and servers, Kubernetes identities for pods. A credential never exceeds the rights of the person who created it."),
    list.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "credentials" },
        h("thead", {}, h("tr", {}, ["Name", "Type", "Created by", "Permission", "Scope", "Expires", "Last used"].map(t => h("th", { scope: "col" }, t)),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", {}, rows)))
      : h("p", { class: "muted" }, "No credentials yet."));
}

function chooseKind(token, identity) {
  return dialog({
    title: "Create credential", submitLabel: "Continue",
    build: () => h("fieldset", {}, h("legend", {}, "Kind"),
      h("label", { class: "check" }, h("input", { type: "radio", name: "kind", value: "token", checked: true }), "API token",
        h("span", { class: "hint" }, " — a bearer token for CI pipelines, servers and SDKs")),
      h("label", { class: "check" }, h("input", { type: "radio", name: "kind", value: "kubernetes" }), "Kubernetes identity",
        h("span", { class: "hint" }, " — pods sign in with their service-account token, nothing to store"))),
    submit: async form => form.kind.value
  }).then(kind => kind === "token" ? token() : kind === "kubernetes" ? identity() : null);
}

/** The raw token, shown this once with a copy button and a warning. */
function showOnce(title, created) {
  return dialog({
    title, submitLabel: "Done", cancelLabel: null,
    build: () => {
      const out = h("input", { type: "text", readonly: true, class: "mono token", value: created.token, "aria-label": "The token", autocomplete: "off", spellcheck: "false" });
      return h("div", {},
        h("p", {}, h("strong", {}, created.name)),
        h("p", { class: "warning", role: "note" }, "Copy it now: this is the only time it is shown. The server keeps only a hash of it."),
        out, h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => copy(created.token, "Token") }, "Copy token")),
        h("p", { class: "muted" }, (created.permission === "read-write" ? "Read & write" : "Read") + ", expires " + when(created.expiresAt) + "."));
    }
  });
}
