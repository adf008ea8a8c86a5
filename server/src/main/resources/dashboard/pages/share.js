// Secret shares: the "Share" dialog on a value (opened from pages/project.js's cell dialog), the project's list of
// shares with revoke (/w/{ws}/p/{prj}/shares), and the public page a share link opens (/share#<token>).
// The token travels in the URL fragment, which the browser never sends; the public page opens the share (and so uses
// up a view) only when "Reveal" is pressed, never on load, so a link previewer that fetches the page burns nothing.
import { h, mount, field, when, relative } from "../dom.js";
import { get, post, del, path } from "../api.js";
import { dialog, confirmAction, notice, errorText, copy } from "../ui.js";

const EXPIRIES = [["1h", "1 hour"], ["24h", "1 day"], ["7d", "7 days"], ["30d", "30 days"]];

/** The dialog's fields: expiry, views, password. */
function settings(text) {
  return h("div", {},
    text ? field("Text to share", h("textarea", { name: "text", rows: 4, required: true, spellcheck: "false", autocomplete: "off", class: "mono" })) : null,
    field("Expires after", h("select", { name: "expiresIn" }, EXPIRIES.map(([value, label]) => h("option", { value, selected: value === "7d" }, label)))),
    field("Views", h("input", { name: "maxViews", type: "number", min: 1, max: 1000, value: "1", required: true }),
      "How many times the link can be opened; each opening uses one."),
    field("Password (optional)", h("input", { name: "password", type: "password", maxlength: 256, autocomplete: "new-password" }),
      "Tell it to the recipient another way: the link alone is then not enough."));
}

function request(form) {
  const body = { expiresIn: form.expiresIn.value, maxViews: Number(form.maxViews.value) };
  if (form.password.value) body.password = form.password.value;
  return body;
}

/** Shows a new share's link, once, with a copy button. */
function showLink(created) {
  return dialog({
    title: "Share link", submitLabel: "Done", cancelLabel: null,
    build: () => {
      const link = h("input", { name: "link", readonly: true, value: created.url, class: "mono", spellcheck: "false" });
      return h("div", {},
        h("p", { class: "warning" }, "Copy the link now: it is shown only once, and the server cannot show it again."),
        field("Link", link),
        h("div", { class: "actions" }, h("button", { type: "button", class: "secondary small", onclick: () => copy(created.url, "Link") }, "Copy link")),
        h("p", { class: "hint" }, "Opens " + created.maxViews + " time(s), until " + when(created.expiresAt) + "."
          + (created.hasPassword ? " The recipient also needs the password." : "")));
    }
  });
}

/** "Share" on a value in the project's cell dialog: the shared value, or the person's own override. */
export async function shareValue({ ws, prj, secret, env, personal }) {
  const created = await dialog({
    title: "Share " + secret.name + " · " + env.name + (personal ? " (my override)" : ""), submitLabel: "Create link",
    build: () => settings(false),
    submit: form => post(path`/v1/workspace/${ws}/project/${prj}/secret-share`,
      { ...request(form), secretId: secret.id, environmentId: env.id, isPersonal: !!personal })
  });
  if (created) await showLink(created);
}

async function shareText(ws, prj) {
  const created = await dialog({
    title: "Share a text", submitLabel: "Create link",
    build: () => settings(true),
    submit: form => post(path`/v1/workspace/${ws}/project/${prj}/secret-share`, { ...request(form), text: form.text.value })
  });
  if (created) await showLink(created);
  return created;
}

const STATUS = { active: "Active", expired: "Expired", "used-up": "Used up", revoked: "Revoked" };

/** The project's shares (/w/{ws}/p/{prj}/shares): yours, and as an admin everyone's within your scope. */
export async function renderList(main, ctx) {
  const { ws } = ctx;
  const grouped = await get(path`/v1/workspace/${ws}/project`);
  let project = null;
  for (const t of grouped) for (const p of t.projects || []) if (p.slug === ctx.params.prj || p.id === ctx.params.prj) project = p;
  if (!project) {
    mount(main, h("h1", {}, "Project not found"), h("p", {}, "There is no such project, or you may not see it."));
    return;
  }
  const base = path`/v1/workspace/${ws}/project/${project.id}/secret-share`;
  const writer = ctx.access.permission === "read-write";
  const shares = await get(base);
  const refresh = () => renderList(main, ctx);
  const revoke = async share => {
    if (!await confirmAction("Revoke this share?", "Its link stops working at once and its content is deleted.", "Revoke")) return;
    try { await del(base + "/" + encodeURIComponent(share.id)); notice("Share revoked."); refresh(); }
    catch (e) { notice(errorText(e), "error"); }
  };
  const what = s => s.kind === "text" ? "Text" : s.secretName + " · " + (s.environmentName || "?") + (s.isPersonal ? " (personal)" : "");
  mount(main,
    h("p", { class: "crumbs" }, h("a", { href: "/w/" + encodeURIComponent(ws) }, "Projects"), " / ",
      h("a", { href: "/w/" + encodeURIComponent(ws) + "/p/" + encodeURIComponent(project.slug) }, project.name)),
    h("div", { class: "page-head" }, h("h1", {}, "Shares of " + project.name),
      h("div", { class: "actions" }, writer ? h("button", { type: "button", class: "primary", onclick: async () => {
        if (await shareText(ws, project.id)) refresh();
      } }, "Share a text") : null)),
    h("p", { class: "muted" }, ctx.isAdmin ? "Every share of this project within your scope, newest first." : "The shares you made, newest first."),
    shares.length ? h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["What", "Status", "Views", "Expires", "Created by", "Password"].map(t => h("th", { scope: "col" }, t)),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
      h("tbody", {}, shares.map(s => h("tr", { dataset: { share: s.id } },
        h("td", {}, what(s)),
        h("td", {}, STATUS[s.status] || s.status, s.revokedAt ? h("span", { class: "hint" }, when(s.revokedAt)) : null),
        h("td", {}, s.viewsUsed + " of " + s.maxViews),
        h("td", { title: when(s.expiresAt) }, relative(s.expiresAt)),
        h("td", {}, s.createdByEmail || "—", h("span", { class: "hint" }, when(s.createdAt))),
        h("td", {}, s.hasPassword ? "Yes" : "No"),
        h("td", { class: "row-actions" }, s.status === "active" && writer ? h("button", { type: "button", class: "danger small", onclick: () => revoke(s) },
          "Revoke", h("span", { class: "visually-hidden" }, " " + what(s))) : null))))))
      : h("p", { class: "muted" }, "No shares yet. Open a value in the project and choose Share."));
}

/** The public page a share link opens: asks before it opens the share, and for the password when it needs one. */
export async function render(main) {
  const token = location.hash.length > 1 ? decodeURIComponent(location.hash.slice(1)) : "";
  // the token leaves the address bar (and so the history and any later copy of the URL); it stays in this page only
  if (location.hash) history.replaceState(null, "", location.pathname);
  const heading = h("h1", {}, "A shared secret");
  if (!token) {
    mount(main, heading, h("p", {}, "This link is incomplete: it has no share token after the #. Ask for the whole link."));
    return;
  }
  const error = h("p", { class: "error", role: "alert" });
  const password = h("input", { name: "password", type: "password", maxlength: 256, autocomplete: "off" });
  const passwordField = field("Password", password, "The person who shared it tells you the password.");
  passwordField.hidden = true;
  const reveal = h("button", { type: "submit", class: "primary" }, "Reveal");
  const form = h("form", {},
    h("p", {}, "Someone shared a secret with you. Revealing it uses up one of the link's views; it may be the last."),
    passwordField, error, h("div", { class: "actions" }, reveal));
  form.addEventListener("submit", async e => {
    e.preventDefault();
    error.textContent = "";
    reveal.disabled = true;
    try {
      const body = password.value ? { password: password.value } : {};
      const shared = await post(path`/v1/share/${token}/view`, body, { quiet401: true });
      const content = h("textarea", { readonly: true, rows: 6, class: "mono secret-value", spellcheck: "false", "aria-label": "Shared content" });
      content.value = shared.content;
      mount(main, heading,
        shared.secretName ? h("p", {}, h("code", {}, shared.secretName), shared.environmentName ? " · " + shared.environmentName : null) : null,
        content,
        h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => copy(shared.content, "Secret") }, "Copy")),
        h("p", { class: "hint", role: "status" }, shared.remainingViews > 0
          ? shared.remainingViews + " view(s) left; the link expires " + when(shared.expiresAt) + "."
          : "This was the last view: the link no longer opens."),
        h("p", { class: "hint" }, "Keep it somewhere safe; this page will not show it again after you leave."));
      content.focus();
    } catch (err) {
      if (err.status === 401) {
        passwordField.hidden = false;
        error.textContent = password.value ? "Wrong password. No view was used." : "This share is protected by a password.";
        password.focus();
      } else if (err.status === 404) {
        mount(main, heading, h("p", {}, "This share cannot be opened: the link is wrong, it has expired, it was revoked, or its views are used up."));
      } else {
        error.textContent = errorText(err);
      }
    } finally {
      reveal.disabled = false;
    }
  });
  mount(main, heading, form);
}
