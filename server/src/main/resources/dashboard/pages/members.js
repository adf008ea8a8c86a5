// Members and invitations (admins): invite with a role and a scope, see each person's status, change role or
// scope, remove; the invitation link is shown once, to copy and send.
import { h, mount, field, when } from "../dom.js";
import { get, post, put, del, path } from "../api.js";
import { dialog, confirmAction, notice, errorText, copy, loadTree, scopePicker, describeScope } from "../ui.js";

const ROLES = [["admin", "Admin — everything, including members and the audit log"],
  ["developer", "Developer — read and write secrets in their scope"], ["member", "Member — read secrets in their scope"]];
const STATUS = { invite_sent: "Invite sent", account_created: "Active", declined: "Declined", expired: "Invite expired" };

export async function render(main, ctx) {
  const { ws } = ctx;
  const [members, tree] = await Promise.all([get(path`/v1/workspace/${ws}/members`), loadTree(ws)]);
  const refresh = () => render(main, ctx);
  const roleSelect = current => h("select", { name: "role", required: true },
    ROLES.map(([v, label]) => h("option", { value: v, selected: v === (current || "developer") }, label)));

  const invite = () => {
    let picker;
    return dialog({
      title: "Invite a person", submitLabel: "Invite",
      build: () => {
        picker = scopePicker(tree, { all: true });
        return h("div", {}, field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "off" })),
          field("Role", roleSelect()), picker.element);
      },
      submit: async form => {
        picker.validate();
        return post(path`/v1/workspace/${ws}/members`, { email: form.email.value.trim(), role: form.role.value, scope: picker.value() });
      }
    }).then(created => created && showLink(created)).then(refresh);
  };

  // the server keeps only a hash of the link, so a lost link is replaced: withdraw the invitation, invite again
  const reissue = async m => {
    if (!await confirmAction("A new invitation link for " + m.email + "?", "The current link stops working; the new one is valid for 7 days.", "Make a new link")) return;
    try {
      await del(path`/v1/workspace/${ws}/invites/${m.id}`);
      await showLink(await post(path`/v1/workspace/${ws}/members`, { email: m.email, role: m.role, scope: m.scope }));
    } catch (e) { notice(errorText(e), "error"); }
    refresh();
  };

  const showLink = created => dialog({
    title: "Invitation created", submitLabel: "Done", cancelLabel: null,
    build: () => h("div", {},
      h("p", {}, "Send this link to " + created.email + ". It is shown only now; it works once and expires " + when(created.expiresAt) + "."),
      h("input", { type: "text", readonly: true, class: "mono", value: created.inviteUrl || "", "aria-label": "Invitation link" }),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => copy(created.inviteUrl, "Invitation link") }, "Copy link")))
  });

  const change = m => {
    let picker;
    return dialog({
      title: "Change " + (m.name || m.email), submitLabel: "Save",
      build: () => {
        picker = scopePicker(tree, m.scope);
        return h("div", {}, field("Role", roleSelect(m.role)), picker.element);
      },
      submit: async form => {
        picker.validate();
        await put(path`/v1/workspace/${ws}/members/${m.id}`, { role: form.role.value, scope: picker.value() });
        notice("Saved.");
      }
    }).then(r => r && refresh());
  };

  const remove = async m => {
    const invited = m.status !== "account_created";
    if (!await confirmAction((invited ? "Withdraw the invitation of " : "Remove ") + m.email + "?",
      invited ? "The link stops working." : "They lose access to this workspace at once, and every credential they created stops working.",
      invited ? "Withdraw" : "Remove")) return;
    try {
      await del(invited ? path`/v1/workspace/${ws}/invites/${m.id}` : path`/v1/workspace/${ws}/members/${m.id}`);
      notice("Done.");
    } catch (e) { notice(errorText(e), "error"); }
    refresh();
  };

  mount(main,
    h("div", { class: "page-head" }, h("h1", {}, "Members"),
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: invite }, "Invite a person"))),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["Person", "Role", "Scope", "Status"].map(t => h("th", { scope: "col" }, t)),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
      h("tbody", {}, members.map(m => h("tr", {},
        h("td", {}, h("strong", {}, m.name || m.email), m.name ? h("div", { class: "muted" }, m.email) : null,
          m.isOwner ? h("span", { class: "badge" }, "owner") : null),
        h("td", {}, m.role),
        h("td", {}, describeScope(m.scope, tree)),
        h("td", {}, STATUS[m.status] || m.status, m.status === "invite_sent" && m.expiresAt ? h("div", { class: "muted" }, "expires " + when(m.expiresAt)) : null),
        h("td", { class: "row-actions" }, m.isOwner || m.id === ctx.me.id ? null : [
          m.status === "account_created" ? h("button", { type: "button", class: "secondary small", onclick: () => change(m) }, "Change", h("span", { class: "visually-hidden" }, " " + m.email))
            : h("button", { type: "button", class: "secondary small", onclick: () => reissue(m) }, "New link", h("span", { class: "visually-hidden" }, " for " + m.email)),
          h("button", { type: "button", class: "danger small", onclick: () => remove(m) }, m.status === "account_created" ? "Remove" : "Withdraw", h("span", { class: "visually-hidden" }, " " + m.email))])))))));
}
