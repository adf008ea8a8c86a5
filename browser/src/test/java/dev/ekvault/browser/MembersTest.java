package dev.ekvault.browser;

import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Members and invitations: an admin invites a person with a role and a scope from the Members page, the person opens
 * the link in a second browser, joins and sees exactly their scope; the admin changes and removes them. Declined,
 * expired, unknown invitations, and an invitee who already has an account.
 */
class MembersTest extends BrowserTest {

    /** An admin with a password, signed in to this browser on the Members page. */
    void adminOnMembersPage(String email) {
        server.invitePerson(email, "admin", null);
        Pages.signIn(browser, email, TestServer.PASSWORD);
        browser.open("/w/acme/members");
        browser.waitForText("h1", "Members");
        Pages.row(browser, email);
    }

    List<String> projectCards(Browser b) {
        return b.driver().findElements(By.cssSelector("main .card-title")).stream().map(WebElement::getText).toList();
    }

    @Test
    void anInviteeScopedToOneProjectSeesExactlyItAndTheAdminChangesThenRemovesThem() {
        server.createProject("web");
        server.createProject("api");
        adminOnMembersPage("boss@example.com");
        browser.assertAccessible();

        // invite, scoped to project web
        browser.click("Invite a person");
        browser.waitForText("dialog h2", "Invite a person");
        browser.fill("Email", "ivy@example.com");
        Pages.choose(browser, "Role", "Member");
        browser.driver().findElement(By.xpath("//dialog//label[contains(., 'Only these')]/input")).click();
        browser.driver().findElement(By.xpath("//dialog//label[normalize-space(.)='Project web']/input")).click();
        browser.assertAccessible();
        browser.click("Invite");
        browser.waitForText("dialog h2", "Invitation created");
        String link = browser.field("Invitation link").getDomProperty("value");
        assertThat(link).contains("/invite/");
        browser.assertAccessible();
        browser.click("Done");
        WebElement invited = Pages.row(browser, "ivy@example.com");
        assertThat(invited.getText()).contains("Invite sent", "member", "project web");

        // the invitee, in a second browser, opens the link
        Browser ivy = secondBrowser();
        ivy.open(URI.create(link).getRawPath());
        ivy.waitForText("h1", "Join acme");
        assertThat(ivy.text("main")).contains("ivy@example.com", "member");
        ivy.assertAccessible();
        ivy.fill("Your name", "Ivy Invitee");
        ivy.fill("Choose a password", TestServer.PASSWORD);
        ivy.click("Accept and join");
        ivy.waitForText("h1", "Projects");
        assertThat(ivy.currentUrl()).endsWith("/w/acme");
        ivy.waitFor("main .card-title");
        assertThat(projectCards(ivy)).containsExactly("web");
        assertThat(ivy.text("nav")).contains("Projects", "Credentials").doesNotContain("Members", "Audit log");
        ivy.assertAccessible();
        // the API behind the links not offered refuses them; the admin, the control, is answered
        assertThat(Pages.statusInPage(ivy, "/v1/workspace/acme/members")).isEqualTo(403);
        assertThat(Pages.statusInPage(ivy, "/v1/workspace/acme/audit")).isIn(403L, 404L);
        assertThat(Pages.statusInPage(browser, "/v1/workspace/acme/members")).isEqualTo(200);
        assertThat(browser.text("nav")).contains("Members", "Audit log");

        // the admin sees them active, and widens them to developer on the full workspace
        browser.reload();
        WebElement active = Pages.row(browser, "ivy@example.com");
        assertThat(active.getText()).contains("Ivy Invitee", "Active", "member", "project web");
        Pages.clickIn(active, "Change");
        browser.waitForText("dialog h2", "Change Ivy Invitee");
        Pages.choose(browser, "Role", "Developer");
        browser.driver().findElement(By.xpath("//dialog//label[normalize-space(.)='Full workspace']/input")).click();
        browser.click("Save");
        browser.waitUntil("the row to show the new role and scope", d -> {
            String row = Pages.row(browser, "ivy@example.com").getText();
            return row.contains("developer") && row.contains("Full workspace");
        });
        ivy.reload();
        ivy.waitForText("h1", "Projects");
        ivy.waitUntil("both projects", d -> projectCards(ivy).containsAll(List.of("web", "api")));

        // removed: the invitee's next page load is refused
        assertThat(Pages.statusInPage(ivy, "/v1/workspace/acme/project")).isEqualTo(200);
        Pages.clickIn(Pages.row(browser, "ivy@example.com"), "Remove");
        browser.waitForText("dialog h2", "Remove ivy@example.com?");
        browser.click("Remove");
        Pages.noRow(browser, "ivy@example.com");
        ivy.reload();
        // removed from their only workspace, their sign-in no longer opens it: the page sends them to sign in
        ivy.waitForText("h1", "Sign in to ek");
        assertThat(projectCards(ivy)).isEmpty();
        assertThat(Pages.statusInPage(ivy, "/v1/workspace/acme/project")).isIn(401L, 403L, 404L);
        assertThat(Pages.statusInPage(browser, "/v1/workspace/acme/project")).isEqualTo(200); // the admin still is answered
    }

    @Test
    void aLostInvitationLinkIsReplacedByANewOneAndTheOldOneStopsWorking() {
        String old = Pages.invite(server, "acme", server.ownerToken, "nell@example.com", "developer");
        adminOnMembersPage("chief@example.com");
        Pages.clickIn(Pages.row(browser, "nell@example.com"), "New link");
        browser.waitForText("dialog h2", "A new invitation link for nell@example.com?");
        browser.click("Make a new link");
        browser.waitForText("dialog h2", "Invitation created");
        String link = browser.valueOf("Invitation link");
        String fresh = link.substring(link.lastIndexOf('/') + 1);
        assertThat(fresh).isNotEqualTo(old);
        browser.assertAccessible();
        // the old link is gone, the new one shows the same invitation
        assertThat(server.get("/v1/invites/" + old, null).status()).isEqualTo(404);
        HttpResult preview = server.get("/v1/invites/" + fresh, null);
        assertThat(preview.status()).as(preview.toString()).isEqualTo(200);
        assertThat(preview.json().get("email").asText()).isEqualTo("nell@example.com");
        assertThat(preview.json().get("role").asText()).isEqualTo("developer");
        assertThat(preview.json().get("status").asText()).isEqualTo("pending");
    }

    @Test
    void aDeclinedInvitationShowsAsDeclinedAndItsLinkNoLongerWorks() {
        String token = Pages.invite(server, "acme", server.ownerToken, "dora@example.com", "developer");
        browser.open("/invite/" + token);
        browser.waitForText("h1", "Join acme");
        browser.click("Decline");
        browser.waitForText("main", "You declined the invitation.");
        browser.open("/invite/" + token);
        browser.waitForText("main", "This invitation was declined.");
        assertThat(browser.driver().findElements(By.cssSelector("input[type=password]"))).isEmpty();
        HttpResult accept = server.post("/v1/invites/" + token + "/accept", null, "{\"password\":\"" + TestServer.PASSWORD + "\"}");
        assertThat(accept.status()).as(accept.toString()).isIn(404, 409, 410);

        adminOnMembersPage("adele@example.com");
        assertThat(Pages.row(browser, "dora@example.com").getText()).contains("Declined");
    }

    @Test
    void anExpiredInvitationSaysSoAndAnUnknownOneIsNotFound() {
        String fresh = Pages.invite(server, "acme", server.ownerToken, "early@example.com", "developer");
        browser.open("/invite/" + fresh);
        browser.waitForText("h1", "Join acme");
        browser.field("Choose a password"); // the control: an invitation in time asks for a password

        String late = Pages.invite(server, "acme", server.ownerToken, "late@example.com", "developer");
        server.clock.advance(Duration.ofDays(8));
        browser.open("/invite/" + late);
        browser.waitForText("main", "This invitation has expired.");
        assertThat(browser.driver().findElements(By.cssSelector("input[type=password]"))).isEmpty();
        browser.assertAccessible();

        browser.open("/invite/no-such-invitation-token");
        browser.waitForText("h1", "Invitation not found");
        browser.assertAccessible();
    }

    @Test
    void anInviteeWithAnAccountIsAskedForTheirPasswordAndJoinsWithIt() {
        server.invitePerson("olga@example.com", "developer", null); // an account, in acme
        String betaOwner = server.createWorkspace("beta", "beta-owner@example.com");
        String token = Pages.invite(server, "beta", betaOwner, "olga@example.com", "member");

        browser.open("/invite/" + token);
        browser.waitForText("h1", "Join beta");
        browser.waitForText("main", "You already have an account");
        assertThat(browser.driver().findElements(By.xpath("//label[contains(., 'Your name')]"))).isEmpty();
        browser.assertAccessible();
        browser.fill("Your password", "not the password at all");
        browser.click("Accept and join");
        browser.waitForText("[role=alert]", "Wrong password.");
        assertThat(Pages.statusInPage(browser, "/v1/me")).isEqualTo(401);

        browser.fill("Your password", TestServer.PASSWORD);
        browser.click("Accept and join");
        browser.waitForText("h1", "Projects");
        assertThat(browser.currentUrl()).endsWith("/w/beta");
        assertThat(Pages.statusInPage(browser, "/v1/workspace/beta/project")).isEqualTo(200);
    }

    @Test
    void aNameHoldingMarkupShowsLiterallyOnTheMembersPage() {
        String name = "<img src=x onerror=alert(1)>";
        Pages.person(server, "mallory@example.com", name, "developer");
        adminOnMembersPage("amy@example.com");
        WebElement row = Pages.row(browser, "mallory@example.com");
        assertThat(row.getText()).contains(name);
        assertThat(browser.driver().findElements(By.cssSelector("main img"))).isEmpty();
        Pages.clickIn(row, "Change");
        browser.waitForText("dialog h2", "Change " + name);
        assertThat(browser.driver().findElements(By.cssSelector("dialog img"))).isEmpty();
        browser.assertAccessible();
        browser.click("Cancel");
    }

    @Test
    void theSignedOutPagesAndTheMembersPagePassTheAuditInTheDarkTheme() {
        // signed out, the page follows the system's scheme: ask for dark
        ((org.openqa.selenium.chrome.ChromeDriver) browser.driver()).executeCdpCommand("Emulation.setEmulatedMedia",
                java.util.Map.of("features", List.of(java.util.Map.of("name", "prefers-color-scheme", "value", "dark"))));
        String token = Pages.invite(server, "acme", server.ownerToken, "nora@example.com", "developer");
        browser.open("/sign-in");
        browser.waitForText("h1", "Sign in to ek");
        // the control that the dark rules are in force: the page's background is not the light one
        String dark = (String) browser.script("return getComputedStyle(document.body).backgroundColor");
        browser.assertAccessible();
        browser.open("/sign-up");
        browser.waitForText("h1", "Sign-up is by invitation");
        browser.assertAccessible();
        browser.open("/invite/" + token);
        browser.waitForText("h1", "Join acme");
        browser.assertAccessible();
        browser.open("/invite/unknown-token");
        browser.waitForText("h1", "Invitation not found");
        browser.assertAccessible();

        // signed in with the dark preference: the Members page and its invitation dialog
        server.invitePerson("dark-admin@example.com", "admin", null);
        Pages.signIn(browser, "dark-admin@example.com", TestServer.PASSWORD);
        assertThat(Pages.statusInPage(browser, "/v1/me")).isEqualTo(200);
        Object saved = browser.script("return fetch('/v1/me').then(r => r.json()).then(me => fetch('/v1/me/preferences', {method: 'PUT',"
                + " headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrfToken}, body: JSON.stringify({theme: 'dark'})}))"
                + ".then(r => r.status)");
        assertThat((Long) saved).isBetween(200L, 204L);
        browser.open("/w/acme/members");
        browser.waitForText("h1", "Members");
        browser.waitUntil("the dark theme", d -> "dark".equals(browser.script("return document.documentElement.dataset.theme")));
        Pages.row(browser, "nora@example.com");
        browser.assertAccessible();
        browser.click("Invite a person");
        browser.waitForText("dialog h2", "Invite a person");
        browser.assertAccessible();
        browser.click("Cancel");

        // and the light page differs: the emulation and the preference did change the colours
        Browser light = secondBrowser();
        light.open("/sign-in");
        light.waitForText("h1", "Sign in to ek");
        assertThat(light.script("return getComputedStyle(document.body).backgroundColor")).isNotEqualTo(dark);
    }
}
