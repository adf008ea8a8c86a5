// The workspace tree: teams, their projects and the projects' environments. Admins create, rename and delete;
// everyone sees what their scope holds.
import { h, mount, field } from "../dom.js";
import { post, patch, del, path } from "../api.js";
import { loadTree, dialog, confirmAction, notice, errorText } from "../ui.js";

export const slugOf = name => name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48);

export async function render(main, ctx) {
  const { ws, access } = ctx;
  const manage = ctx.isAdmin && access.permission === "read-write";
  const tree = await loadTree(ws);
  const refresh = () => render(main, ctx);

  const newTeam = () => dialog({
    title: "New team", submitLabel: "Create team",
    build: form => field("Name", h("input", { name: "name", required: true, maxlength: 64 })),
    submit: async form => { await post(path`/v1/workspace/${ws}/team`, { name: form.name.value.trim() }); notice("Team created."); }
  }).then(r => r && refresh());

  const newProject = teamId => dialog({
    title: "New project", submitLabel: "Create project",
    build: form => {
      const name = h("input", { name: "name", required: true, maxlength: 64 });
      const slug = h("input", { name: "slug", required: true, maxlength: 48, pattern: "[a-z0-9][a-z0-9-]*" });
      name.addEventListener("input", () => { if (!slug.dataset.touched) slug.value = slugOf(name.value); });
      slug.addEventListener("input", () => { slug.dataset.touched = "1"; });
      return h("div", {}, field("Name", name), field("Slug", slug, "Used in URLs and by the CLI."),
        field("Team", h("select", { name: "team", required: true },
          tree.map(t => h("option", { value: t.id, selected: t.id === teamId }, t.name)))));
    },
    submit: async form => {
      const created = await post(path`/v1/workspace/${ws}/project`, { name: form.name.value.trim(), slug: form.slug.value, teamId: form.team.value });
      notice("Project created.");
      return created;
    }
  }).then(created => created && ctx.go("/w/" + encodeURIComponent(ws) + "/p/" + encodeURIComponent(created.slug)));

  const renameTeam = team => dialog({
    title: "Rename team " + team.name, submitLabel: "Rename",
    build: () => field("Name", h("input", { name: "name", required: true, maxlength: 64, value: team.name })),
    submit: async form => { await patch(path`/v1/workspace/${ws}/team/${team.id}`, { name: form.name.value.trim() }); notice("Team renamed."); }
  }).then(r => r && refresh());

  const deleteTeam = async team => {
    const envs = team.projects.reduce((n, p) => n + (p.environments || []).length, 0);
    if (!await confirmAction("Delete team " + team.name + "?", [
      team.projects.length
        ? "This deletes its " + team.projects.length + " project(s) (" + team.projects.map(p => p.name).join(", ") + "), their " + envs
          + " environment(s) and every secret stored in them. It cannot be undone."
        : "The team holds no project.",
      "Credentials and members scoped to it lose that part of their scope."], "Delete team")) return;
    try { await del(path`/v1/workspace/${ws}/team/${team.id}`); notice("Team deleted."); refresh(); }
    catch (e) { notice(errorText(e), "error"); }
  };

  mount(main,
    h("div", { class: "page-head" }, h("h1", {}, "Projects"),
      manage ? h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", onclick: () => newProject(tree[0] && tree[0].id), disabled: !tree.length }, "New project"),
        h("button", { type: "button", class: "secondary", onclick: newTeam }, "New team")) : null),
    tree.length ? null : h("p", { class: "muted" }, "Nothing here yet" + (manage ? ": create a team first." : ": ask an admin for access.")),
    tree.map(team => h("section", { class: "team", "aria-labelledby": "team-" + team.id },
      h("div", { class: "section-head" },
        h("h2", { id: "team-" + team.id }, team.name),
        manage ? h("div", { class: "actions" },
          h("button", { type: "button", class: "secondary small", onclick: () => newProject(team.id) }, "New project",
            h("span", { class: "visually-hidden" }, " in " + team.name)),
          h("button", { type: "button", class: "secondary small", onclick: () => renameTeam(team) }, "Rename",
            h("span", { class: "visually-hidden" }, " team " + team.name)),
          h("button", { type: "button", class: "danger small", onclick: () => deleteTeam(team) }, "Delete",
            h("span", { class: "visually-hidden" }, " team " + team.name))) : null),
      team.projects.length
        ? h("ul", { class: "cards" }, team.projects.map(p => h("li", { class: "card" },
          h("a", { class: "card-title", href: "/w/" + encodeURIComponent(ws) + "/p/" + encodeURIComponent(p.slug) }, p.name),
          h("span", { class: "muted" }, p.slug),
          h("ul", { class: "chips", "aria-label": "Environments of " + p.name },
            (p.environments || []).map(e => h("li", { class: "chip" }, e.name))))))
        : h("p", { class: "muted" }, "No projects in this team."))));
}
