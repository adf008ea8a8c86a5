package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The workspace tree (pages/tree.js) and a project's environments and project panels (pages/project.js) as an admin:
 * every create, rename, overrides switch and delete goes through the page, and the API (the owner's token, over
 * plain HTTP) is asked afterwards whether it happened.
 */
class WorkspaceTreePageTest extends WorkspacePagesBase {

    /** Clicks the button whose whole text (hidden parts included, e.g. "Rename team Platform") is {@code text}. */
    static void clickNamed(Browser b, String text) {
        WebElement button = b.waitUntil("a button named \"" + text + "\"", d -> (WebElement) b.script("""
                for (const el of document.querySelectorAll('button')) {
                  if (el.textContent.replace(/\\s+/g, ' ').trim() === arguments[0] && el.offsetParent !== null && !el.disabled) return el;
                }
                return null;""", text));
        button.click();
    }

    JsonNode teams() {
        return api("/v1/workspace/acme/team");
    }

    List<String> names(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get(field).asText()));
        return out;
    }

    /** Every project slug in the workspace. */
    List<String> projectSlugs() {
        List<String> out = new ArrayList<>();
        api("/v1/workspace/acme/project").forEach(t -> t.get("projects").forEach(p -> out.add(p.get("slug").asText())));
        return out;
    }

    @Test
    void anAdminBuildsATeamAProjectAndTwoEnvironmentsThenRenamesThem() {
        String admin = newAdmin();
        String team = unique("Platform ");
        signIn(browser, admin, "/w/acme");
        browser.waitForText("main h1", "Projects");
        browser.assertAccessible();

        // a team
        browser.click("New team");
        browser.fill("Name", team);
        clickInDialog(browser, "Create team");
        dialogClosed(browser);
        browser.waitForText("main h2", team);
        assertThat(names(teams(), "name")).contains(team);

        // a project in it: the slug follows the name
        browser.click("New project");
        browser.fill("Name", "Billing API " + team);
        String slug = SecretsPageTest.named(browser, "slug").getDomProperty("value");
        assertThat(slug).isEqualTo("billing-api-" + team.toLowerCase().replace(' ', '-'));
        new Select(browser.field("Team")).selectByVisibleText(team);
        clickInDialog(browser, "Create project");
        browser.waitUntil("the new project's page", d -> d.getCurrentUrl().endsWith("/w/acme/p/" + slug));
        browser.waitForText("This project has no environment yet: add one below.");
        JsonNode grouped = api("/v1/workspace/acme/project");
        String projectId = null;
        for (JsonNode t : grouped) for (JsonNode p : t.get("projects")) {
            if (p.get("slug").asText().equals(slug)) {
                assertThat(t.get("name").asText()).isEqualTo(team);
                projectId = p.get("id").asText();
            }
        }
        assertThat(projectId).as("the project in the API").isNotNull();

        // two environments, one allowing personal overrides
        browser.click("New environment");
        browser.fill("Name", "dev");
        browser.field("Allow personal overrides").click();
        clickInDialog(browser, "Create environment");
        dialogClosed(browser);
        browser.waitForText("main table.grid thead", "dev");
        browser.click("New environment");
        browser.fill("Name", "prod");
        clickInDialog(browser, "Create environment");
        dialogClosed(browser);
        browser.waitForText("main table.grid thead", "prod");
        JsonNode envs = api("/v1/workspace/acme/project/" + projectId + "/environment");
        assertThat(names(envs, "name")).containsExactlyInAnyOrder("dev", "prod");
        for (JsonNode e : envs) assertThat(e.get("hasPersonalOverrides").asBoolean()).as(e.toString()).isEqualTo(e.get("name").asText().equals("dev"));
        browser.assertAccessible();

        // rename an environment
        clickNamed(browser, "Rename prod");
        browser.fill("Name", "production");
        clickInDialog(browser, "Rename");
        dialogClosed(browser);
        browser.waitForText("main table.grid thead", "production");
        assertThat(names(api("/v1/workspace/acme/project/" + projectId + "/environment"), "name")).containsExactlyInAnyOrder("dev", "production");

        // rename the project and its slug: the URL follows, the old one finds nothing
        browser.click("Rename project");
        browser.fill("Name", "Billing Service");
        WebElement slugField = SecretsPageTest.named(browser, "slug");
        slugField.clear();
        slugField.sendKeys(slug + "-svc");
        clickInDialog(browser, "Save");
        browser.waitUntil("the URL to follow the slug", d -> d.getCurrentUrl().endsWith("/w/acme/p/" + slug + "-svc"));
        browser.waitForText("main h1", "Billing Service");
        assertThat(projectSlugs()).contains(slug + "-svc").doesNotContain(slug);
        assertThat(browser.title()).startsWith("Billing Service");
        browser.reload();
        browser.waitForText("main h1", "Billing Service");

        // rename the team, on the tree
        browser.open("/w/acme");
        browser.waitForText("main h2", team);
        clickNamed(browser, "Rename team " + team);
        browser.fill("Name", team + " renamed");
        clickInDialog(browser, "Rename");
        dialogClosed(browser);
        browser.waitForText("main h2", team + " renamed");
        assertThat(names(teams(), "name")).contains(team + " renamed").doesNotContain(team);
        // the tree shows the project with its environments under the renamed team
        WebElement card = browser.waitForText("main li.card", "Billing Service");
        assertThat(card.getText()).contains(slug + "-svc").contains("dev").contains("production");
        browser.assertAccessible();
    }

    @Test
    void switchingOverridesOffAsksFirstAndSaysWhatHappens() {
        String admin = newAdmin();
        String slug = unique("ovr-");
        List<String> ids = project(slug, "dev", true);
        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);

        // cancelled: nothing changes, the box is ticked again
        browser.field("Allowed in dev").click();
        String asked = dialog(browser).getText();
        assertThat(asked).contains("Turn off personal overrides in dev?").contains("stop being used").contains("shared values");
        clickInDialog(browser, "Cancel");
        dialogClosed(browser);
        browser.waitUntil("the box ticked again", d -> browser.field("Allowed in dev").isSelected());
        assertThat(api("/v1/workspace/acme/project/" + ids.get(0) + "/environment").get(0).get("hasPersonalOverrides").asBoolean()).isTrue();

        // confirmed: off in the API
        browser.field("Allowed in dev").click();
        confirm(browser, "Turn off");
        browser.waitUntil("overrides off in the API",
                d -> !api("/v1/workspace/acme/project/" + ids.get(0) + "/environment").get(0).get("hasPersonalOverrides").asBoolean());
        browser.waitUntil("the box unticked", d -> !browser.field("Allowed in dev").isSelected());

        // and on again without a question
        browser.field("Allowed in dev").click();
        browser.waitUntil("overrides on in the API",
                d -> api("/v1/workspace/acme/project/" + ids.get(0) + "/environment").get(0).get("hasPersonalOverrides").asBoolean());
        assertThat(browser.isVisible("dialog[open]")).isFalse();
    }

    @Test
    void deletingAnEnvironmentAProjectAndATeamSaysWhatIsLostAndTheApiForgetsThem() {
        String admin = newAdmin();
        String team = unique("Doomed ");
        String teamId = server.createTeam(team);
        String slug = unique("gone-");
        // a project in that team with two environments and two secrets
        var created = server.post("/v1/workspace/acme/project", server.ownerToken,
                "{\"name\":\"Gone " + slug + "\",\"slug\":\"" + slug + "\",\"teamId\":\"" + teamId + "\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String projectId = created.json().get("id").asText();
        String dev = server.createEnvironment(projectId, "dev", false);
        String staging = server.createEnvironment(projectId, "staging", false);
        server.createSecrets(projectId, List.of(dev, staging), Map.of("ALPHA", "a", "BETA", "b"));
        String base = "/v1/workspace/acme/project/" + projectId;

        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);

        // the environment: the confirmation names it and what it holds
        clickNamed(browser, "Delete staging");
        String asked = dialog(browser).getText();
        assertThat(asked).contains("Delete environment staging?").contains("2 secret value(s)").contains("ALPHA").contains("BETA");
        clickInDialog(browser, "Cancel"); // the control: cancelled, still there
        dialogClosed(browser);
        assertThat(names(api(base + "/environment"), "name")).containsExactlyInAnyOrder("dev", "staging");
        clickNamed(browser, "Delete staging");
        confirm(browser, "Delete environment");
        browser.waitUntil("staging gone from the grid", d -> !browser.text("main table.grid thead").contains("staging"));
        assertThat(names(api(base + "/environment"), "name")).containsExactly("dev");
        assertThat(server.get(base + "/secret?environmentId=" + staging, server.ownerToken).status()).isNotEqualTo(200);

        // the project: the confirmation counts its environments and secrets
        browser.click("Delete project");
        asked = dialog(browser).getText();
        assertThat(asked).contains("Delete project Gone " + slug + "?").contains("1 environment(s)").contains("2 secret(s)");
        confirm(browser, "Delete project");
        browser.waitUntil("the tree", d -> d.getCurrentUrl().endsWith("/w/acme"));
        browser.waitForText("main h2", team);
        assertThat(projectSlugs()).doesNotContain(slug);
        assertThat(server.get(base + "/environment", server.ownerToken).status()).isEqualTo(404);

        // the team, now holding another project: the confirmation names it and counts
        String other = unique("other-");
        server.post("/v1/workspace/acme/project", server.ownerToken,
                "{\"name\":\"Other " + other + "\",\"slug\":\"" + other + "\",\"teamId\":\"" + teamId + "\"}");
        browser.reload();
        browser.waitForText("main li.card", "Other " + other);
        clickNamed(browser, "Delete team " + team);
        asked = dialog(browser).getText();
        assertThat(asked).contains("Delete team " + team + "?").contains("1 project(s) (Other " + other + ")").contains("0 environment(s)");
        confirm(browser, "Delete team");
        browser.waitUntil("the team gone from the tree",
                d -> d.findElements(By.cssSelector("main h2")).stream().noneMatch(h -> h.getText().equals(team)));
        assertThat(names(teams(), "name")).doesNotContain(team);
        assertThat(projectSlugs()).doesNotContain(other);
    }
}
