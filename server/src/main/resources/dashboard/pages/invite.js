// The page an invitation link opens: who invites whom to what; set a password (new account) or sign in
// (existing account), then accept; or decline.
import { h, mount, field, when } from "../dom.js";
import { get, post, path } from "../api.js";
import { signingIn } from "../ui.js";

export async function render(main, { params, go, refreshMe, me }) {
  let invite;
  try {
    invite = await get(path`/v1/invites/${params.token}`, { quiet401: true });
  } catch (e) {
    mount(main, h("h1", {}, "Invitation not found"),
      h("p", {}, "This invitation link is not valid. Ask the person who invited you for a new one."),
      h("p", {}, h("a", { href: "/sign-in" }, "Sign in")));
    return;
  }
  const heading = h("h1", {}, "Join " + invite.workspaceName);
  if (invite.status !== "pending") {
    const said = { accepted: "has already been accepted", declined: "was declined", expired: "has expired" }[invite.status]
      || "can no longer be used";
    mount(main, heading, h("p", {}, "This invitation " + said + "."), h("p", {}, h("a", { href: "/sign-in" }, "Sign in")));
    return;
  }
  const error = h("p", { class: "error", role: "alert" });
  const password = h("input", { name: "password", type: "password", required: true,
    autocomplete: invite.accountExists ? "current-password" : "new-password", minlength: invite.accountExists ? null : 12, maxlength: 256 });
  const name = invite.accountExists ? null : h("input", { name: "name", autocomplete: "name", maxlength: 64 });
  const accept = h("button", { type: "submit", class: "primary" }, "Accept and join");
  const decline = h("button", { type: "button", class: "secondary", onclick: async () => {
    error.textContent = "";
    try {
      await post(path`/v1/invites/${params.token}/decline`, {}, { quiet401: true });
      mount(main, heading, h("p", {}, "You declined the invitation."));
    } catch (err) { error.textContent = err.message; }
  } }, "Decline");
  const form = signingIn(h("form", {},
    h("p", {}, "You are invited as ", h("strong", {}, invite.email), " with the role ", h("strong", {}, invite.role),
    invite.expiresAt ? ". The invitation expires " + when(invite.expiresAt) + "." : "."),
  me && me.email !== invite.email ? h("p", { class: "warning" }, "You are signed in as " + me.email + ": accepting signs you in as " + invite.email + ".") : null,
  name ? field("Your name", name) : null,
  field(invite.accountExists ? "Your password" : "Choose a password", password,
    invite.accountExists ? "You already have an account: sign in with its password to join." : "At least 12 characters."),
  error, h("div", { class: "actions" }, accept, decline)),
  accept, error, {
    send: () => {
      const body = { password: password.value };
      if (name && name.value.trim()) body.name = name.value.trim();
      return post(path`/v1/invites/${params.token}/accept`, body, { quiet401: true });
    },
    done: async () => {
      const signedIn = await refreshMe();
      const joined = signedIn && signedIn.workspaces.find(w => w.name === invite.workspaceName);
      go(joined ? "/w/" + encodeURIComponent(joined.slug) : "/", { replace: true });
    },
    failure: err => err.status === 401 ? "Wrong password." : err.message
  });
  mount(main, heading, form);
  (name || password).focus();
}
