// The project page's "Export" action: one environment's values as a .env, JSON or YAML file, raw or with references
// resolved, fetched with the session and handed to the browser as a download (a Blob): the values are never put on
// the page. The server does the quoting (see the README's export section), so the file reads back exactly.
import { h, field } from "../dom.js";
import { getText } from "../api.js";
import { dialog, notice } from "../ui.js";

const FORMATS = [
  { id: "dotenv", label: ".env (dotenv)", extension: "env" },
  { id: "json", label: "JSON", extension: "json" },
  { id: "yaml", label: "YAML", extension: "yaml" }
];

/** Opens the export dialog for a project (`base` is its /v1 path) and its environments. */
export function exportSecrets({ base, project, environments }) {
  return dialog({
    title: "Export " + project.name, submitLabel: "Download",
    build: () => h("div", {},
      field("Environment", h("select", { name: "environment", required: true },
        environments.map(e => h("option", { value: e.id }, e.name)))),
      h("fieldset", {}, h("legend", {}, "Format"),
        FORMATS.map((f, i) => h("label", { class: "check" }, h("input", { type: "radio", name: "format", value: f.id, checked: i === 0 }), f.label))),
      field("References", h("select", { name: "resolve" },
        h("option", { value: "false" }, "Raw: keep ${KEY} references as written"),
        h("option", { value: "true" }, "Resolved: replace references by their values")),
      "Each export is recorded in the audit log as a read of these values.")),
    submit: async form => {
      const format = FORMATS.find(f => f.id === form.querySelector("input[name=format]:checked").value);
      const env = environments.find(e => e.id === form.environment.value);
      const resolve = form.resolve.value === "true";
      const query = "?environmentId=" + encodeURIComponent(env.id) + "&format=" + format.id + (resolve ? "&resolve=true" : "");
      const { text, type } = await getText(base + "/secret/export" + query);
      download(fileName(project, env, format), text, type);
      notice("Exported " + env.name + (resolve ? " (resolved)" : "") + " as " + format.label + ".");
    }
  });
}

/** project-environment.ext, with anything a file name should not hold made a "-". */
function fileName(project, env, format) {
  const safe = text => String(text).replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.-]+/, "") || "export";
  return safe(project.slug || project.name) + "-" + safe(env.name) + "." + format.extension;
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // the click has handed the Blob to the download by now; keep it a moment for slow browsers, then let it go
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
