package dev.ekvault.it;

import dev.ekvault.server.config.Setting;
import dev.ekvault.server.testing.RepoDocs;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deployment files under {@code deploy/}: each kustomization of {@code deploy/kubernetes} rendered by hand (its
 * resources, which must exist, then its patches, namespace, labels and images — the subset of kustomize these files
 * use), and the rendered objects held to what the README promises (probes, security context, the master key as a file
 * from a Secret, resources, PodDisruptionBudget, Service; the overlay's replicas and database Secret); every
 * {@code EK_*} variable a real setting and every file setting under a mounted volume; the workload-identity example
 * pointing at the base's Service; and the systemd unit's hardening and flags.
 */
class DeployManifestsTest {
    static final Path KUBERNETES = RepoDocs.root().resolve("deploy/kubernetes");
    static final Set<String> SETTING_VARIABLES = Setting.ALL.stream().map(Setting::environmentVariable).collect(Collectors.toSet());
    /** Settings whose value is a path the server reads or writes. */
    static final Set<String> PATH_SETTINGS = Setting.ALL.stream()
            .filter(s -> s.key().endsWith("-file") || s.key().equals("data-dir") || s.key().equals("audit.file"))
            .map(Setting::key).collect(Collectors.toSet());

    // ---- Kubernetes ----

    @Test
    void theBaseRunsOneHardenedSqliteNodeOnAClaim() {
        List<Map<String, Object>> objects = render(KUBERNETES.resolve("base"));
        Map<String, Object> deployment = checkedDeployment(objects);
        assertThat(at(deployment, "spec.replicas")).isEqualTo(1);
        assertThat(at(deployment, "spec.strategy.type")).as("one SQLite writer: never two pods on the volume").isEqualTo("Recreate");
        Map<String, Object> data = volume(deployment, "data");
        String claim = (String) at(data, "persistentVolumeClaim.claimName");
        assertThat(find(objects, "PersistentVolumeClaim", claim)).as("the claim the data volume names").isPresent();
        assertThat(env(deployment)).doesNotContainKey("EK_DATABASE_URL");
    }

    @Test
    void thePostgresOverlayRunsSeveralNodesWithTheDatabaseFromASecret() {
        List<Map<String, Object>> objects = render(KUBERNETES.resolve("postgres"));
        Map<String, Object> deployment = checkedDeployment(objects);
        assertThat((Integer) at(deployment, "spec.replicas")).isGreaterThanOrEqualTo(2);
        assertThat(at(deployment, "spec.strategy.type")).isEqualTo("RollingUpdate");
        assertThat(at(deployment, "spec.strategy.rollingUpdate.maxUnavailable")).isEqualTo(0);
        Map<String, Object> url = env(deployment).get("EK_DATABASE_URL");
        assertThat(url).as("EK_DATABASE_URL").isNotNull().doesNotContainKey("value");
        assertThat(at(url, "valueFrom.secretKeyRef.name")).isEqualTo("ek-database");
        assertThat(objects).as("no claim: the nodes keep nothing of their own")
                .noneMatch(o -> o.get("kind").equals("PersistentVolumeClaim"));
        assertThat(volume(deployment, "data")).doesNotContainKey("persistentVolumeClaim").containsKey("emptyDir");
        Map<String, Object> budget = find(objects, "PodDisruptionBudget", "ek-server").orElseThrow();
        assertThat(at(budget, "spec.maxUnavailable")).as("a drain leaves the other replicas serving").isEqualTo(1);
    }

    /** Where kubectl is installed, its own kustomize must render the same objects as the reading by hand. */
    @Test
    void kubectlKustomizeAgreesWhereItIsInstalled() throws Exception {
        for (String overlay : List.of("base", "postgres")) {
            Process kubectl;
            try {
                kubectl = new ProcessBuilder("kubectl", "kustomize", KUBERNETES.resolve(overlay).toString()).redirectErrorStream(true).start();
            } catch (IOException e) {
                org.junit.jupiter.api.Assumptions.abort("kubectl is not installed: the reading by hand stands alone");
                return;
            }
            String output = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(kubectl.waitFor()).as("kubectl kustomize %s: %s", overlay, output).isZero();
            List<Map<String, Object>> theirs = new ArrayList<>();
            for (Object doc : yaml().loadAll(output)) theirs.add(map(doc));
            List<Map<String, Object>> ours = render(KUBERNETES.resolve(overlay));
            assertThat(sortedByKindAndName(ours)).as("%s rendered by hand and by kubectl", overlay).isEqualTo(sortedByKindAndName(theirs));
        }
    }

    private static List<Map<String, Object>> sortedByKindAndName(List<Map<String, Object>> objects) {
        return objects.stream().sorted(java.util.Comparator.comparing(o -> o.get("kind") + "/" + at(o, "metadata.name"))).toList();
    }

    @Test
    void theWorkloadIdentityExampleReachesTheBasesServiceWithTheReadmesAudience() throws IOException {
        List<Map<String, Object>> base = render(KUBERNETES.resolve("base"));
        Map<String, Object> service = find(base, "Service", "ek-server").orElseThrow();
        List<Map<String, Object>> example = load(KUBERNETES.resolve("examples/workload-client.yaml"));
        Map<String, Object> account = example.stream().filter(o -> o.get("kind").equals("ServiceAccount")).findFirst().orElseThrow();
        Map<String, Object> deployment = example.stream().filter(o -> o.get("kind").equals("Deployment")).findFirst().orElseThrow();
        assertThat(at(deployment, "spec.template.spec.serviceAccountName")).isEqualTo(at(account, "metadata.name"));
        Map<String, Object> token = map(list(at(volume(deployment, "ek-token"), "projected.sources")).get(0)).entrySet().stream()
                .filter(e -> e.getKey().equals("serviceAccountToken")).map(e -> map(e.getValue())).findFirst().orElseThrow();
        String readme = Files.readString(RepoDocs.root().resolve("README.md"));
        assertThat(readme).as("the README registers the identity with the example's audience")
                .contains("\"audience\": \"" + token.get("audience") + "\"")
                .contains("\"subject\": \"system:serviceaccount:" + at(account, "metadata.namespace") + ":" + at(account, "metadata.name") + "\"");
        Object port = map(list(at(service, "spec.ports")).get(0)).get("port");
        assertThat(env(deployment).get("EK_URL").get("value"))
                .isEqualTo("http://" + at(service, "metadata.name") + "." + at(service, "metadata.namespace") + ".svc.cluster.local:" + port);
    }

    /** The Deployment of a rendering, with everything both layouts must hold checked. */
    private static Map<String, Object> checkedDeployment(List<Map<String, Object>> objects) {
        Map<String, Object> deployment = find(objects, "Deployment", "ek-server").orElseThrow();
        Map<String, Object> pod = map(at(deployment, "spec.template"));
        Map<String, Object> podLabels = map(at(pod, "metadata.labels"));
        assertThat(podLabels).containsAllEntriesOf(map(at(deployment, "spec.selector.matchLabels")));
        Map<String, Object> podSecurity = map(at(pod, "spec.securityContext"));
        assertThat(podSecurity).containsEntry("runAsNonRoot", true).containsEntry("runAsUser", ContainerImageTest.USER);
        assertThat(at(podSecurity, "seccompProfile.type")).isEqualTo("RuntimeDefault");
        assertThat(at(pod, "spec.automountServiceAccountToken")).isEqualTo(false);
        String account = (String) at(pod, "spec.serviceAccountName");
        assertThat(find(objects, "ServiceAccount", account)).as("the service account %s", account).isPresent();

        List<Object> containers = list(at(pod, "spec.containers"));
        assertThat(containers).hasSize(1);
        Map<String, Object> container = map(containers.get(0));
        assertThat((String) container.get("image")).as("the images transformer applied").contains("ek-server:");
        Map<String, Object> security = map(container.get("securityContext"));
        assertThat(security).containsEntry("readOnlyRootFilesystem", true).containsEntry("allowPrivilegeEscalation", false)
                .containsEntry("runAsNonRoot", true);
        assertThat(list(at(security, "capabilities.drop"))).containsExactly("ALL");
        assertThat(at(security, "seccompProfile.type")).isEqualTo("RuntimeDefault");
        Set<String> ports = list(container.get("ports")).stream().map(p -> (String) map(p).get("name")).collect(Collectors.toSet());
        assertThat(at(container, "readinessProbe.httpGet.path")).isEqualTo("/readyz");
        assertThat(at(container, "livenessProbe.httpGet.path")).isEqualTo("/healthz");
        assertThat(ports).contains((String) at(container, "readinessProbe.httpGet.port"), (String) at(container, "livenessProbe.httpGet.port"));
        assertThat(map(at(container, "resources.requests"))).containsKeys("cpu", "memory");
        assertThat(map(at(container, "resources.limits"))).containsKey("memory");

        // every EK_* variable a setting; every path setting inside a mounted volume
        Map<String, Map<String, Object>> env = env(deployment);
        assertThat(env).doesNotContainKey("EK_MASTER_KEY").as("the master key comes as a file").containsKey("EK_MASTER_KEY_FILE");
        Map<String, String> mounts = new LinkedHashMap<>();
        for (Object mount : list(container.get("volumeMounts"))) mounts.put((String) map(mount).get("mountPath"), (String) map(mount).get("name"));
        for (var variable : env.entrySet()) {
            if (!variable.getKey().startsWith("EK_")) continue;
            assertThat(SETTING_VARIABLES).as("%s is a setting of the server", variable.getKey()).contains(variable.getKey());
            Setting setting = Setting.ALL.stream().filter(s -> s.environmentVariable().equals(variable.getKey())).findFirst().orElseThrow();
            if (PATH_SETTINGS.contains(setting.key())) {
                String path = (String) variable.getValue().get("value");
                assertThat(mounts.keySet()).as("%s=%s lies in a mounted volume", variable.getKey(), path)
                        .anyMatch(m -> path.equals(m) || path.startsWith(m + "/"));
            }
        }
        String keyFile = (String) env.get("EK_MASTER_KEY_FILE").get("value");
        String keyMount = mounts.keySet().stream().filter(m -> keyFile.startsWith(m + "/")).findFirst().orElseThrow();
        Map<String, Object> keyVolume = volume(deployment, mounts.get(keyMount));
        assertThat(keyVolume).as("the master key's volume is a Secret").containsKey("secret");
        assertThat(list(at(keyVolume, "secret.items")).stream().map(i -> (String) map(i).get("path")))
                .contains(keyFile.substring(keyMount.length() + 1));
        assertThat(list(container.get("volumeMounts")).stream().map(DeployManifestsTest::map)
                .filter(m -> m.get("mountPath").equals(keyMount)).findFirst().orElseThrow()).containsEntry("readOnly", true);
        assertThat(mounts).as("the data folder is a volume").containsKey((String) env.get("EK_DATA_DIR").get("value"));
        // the next master key of a rotation: an optional Secret, mounted as a folder (no subPath) so that running pods see it appear
        String nextFile = (String) env.get("EK_MASTER_KEY_NEXT_FILE").get("value");
        String nextMount = mounts.keySet().stream().filter(m -> nextFile.startsWith(m + "/")).findFirst().orElseThrow();
        assertThat(nextMount).isNotEqualTo(keyMount);
        assertThat(volume(deployment, mounts.get(nextMount))).extracting(v -> at(v, "secret.optional")).isEqualTo(true);
        assertThat(list(container.get("volumeMounts")).stream().map(DeployManifestsTest::map)
                .filter(m -> m.get("mountPath").equals(nextMount)).findFirst().orElseThrow()).containsEntry("readOnly", true)
                .doesNotContainKey("subPath");

        Map<String, Object> service = find(objects, "Service", "ek-server").orElseThrow();
        assertThat(podLabels).containsAllEntriesOf(map(at(service, "spec.selector")));
        assertThat(ports).contains((String) map(list(at(service, "spec.ports")).get(0)).get("targetPort"));
        Map<String, Object> budget = find(objects, "PodDisruptionBudget", "ek-server").orElseThrow();
        assertThat(podLabels).containsAllEntriesOf(map(at(budget, "spec.selector.matchLabels")));
        Map<String, Object> namespace = objects.stream().filter(o -> o.get("kind").equals("Namespace")).findFirst().orElseThrow();
        assertThat(map(at(namespace, "metadata.labels"))).containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        for (Map<String, Object> object : objects) {
            if (!object.get("kind").equals("Namespace")) {
                assertThat(at(object, "metadata.namespace")).as("namespace of %s", object.get("kind")).isEqualTo(at(namespace, "metadata.name"));
            }
        }
        return deployment;
    }

    private static Map<String, Map<String, Object>> env(Map<String, Object> deployment) {
        Map<String, Map<String, Object>> env = new LinkedHashMap<>();
        for (Object container : list(at(deployment, "spec.template.spec.containers"))) {
            Object variables = map(container).get("env");
            if (variables != null) for (Object v : list(variables)) env.put((String) map(v).get("name"), map(v));
        }
        return env;
    }

    private static Map<String, Object> volume(Map<String, Object> deployment, String name) {
        return list(at(deployment, "spec.template.spec.volumes")).stream().map(DeployManifestsTest::map)
                .filter(v -> name.equals(v.get("name"))).findFirst().orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static Optional<Map<String, Object>> find(List<Map<String, Object>> objects, String kind, String name) {
        return objects.stream().filter(o -> kind.equals(o.get("kind")) && name.equals(at(o, "metadata.name"))).findFirst();
    }

    // ---- kustomize, the part these files use ----

    /** A kustomization folder's objects: resources (files, or folders rendered first), patches, namespace, labels, images. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> render(Path folder) {
        Path file = folder.resolve("kustomization.yaml");
        assertThat(file).as("kustomization of %s", folder).isRegularFile();
        Map<String, Object> kustomization = load(file).get(0);
        assertThat(kustomization.get("kind")).isEqualTo("Kustomization");
        assertThat(Set.of("apiVersion", "kind", "resources", "patches", "namespace", "labels", "images"))
                .as("every field of %s is one this reading applies", file).containsAll(kustomization.keySet());
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object resource : list(kustomization.getOrDefault("resources", List.of()))) {
            Path path = folder.resolve((String) resource).normalize();
            assertThat(path).as("resource %s named by %s", resource, file).exists();
            objects.addAll(Files.isDirectory(path) ? render(path) : load(path));
        }
        for (Object patch : list(kustomization.getOrDefault("patches", List.of()))) {
            assertThat(map(patch).keySet()).as("a patch from a file").containsExactly("path");
            Path path = folder.resolve((String) map(patch).get("path"));
            assertThat(path).as("patch named by %s", file).isRegularFile();
            for (Map<String, Object> doc : load(path)) {
                Map<String, Object> target = find(objects, (String) doc.get("kind"), (String) at(doc, "metadata.name"))
                        .orElseThrow(() -> new AssertionError(path + " patches an object the resources do not hold"));
                if ("delete".equals(doc.get("$patch"))) objects.remove(target);
                else merge(target, doc);
            }
        }
        if (kustomization.containsKey("namespace")) {
            for (Map<String, Object> object : objects) {
                if (!object.get("kind").equals("Namespace")) map(object.get("metadata")).put("namespace", kustomization.get("namespace"));
            }
        }
        for (Object labels : list(kustomization.getOrDefault("labels", List.of()))) {
            for (Map<String, Object> object : objects) {
                ((Map<String, Object>) map(object.get("metadata")).computeIfAbsent("labels", k -> new LinkedHashMap<>()))
                        .putAll(map(map(labels).get("pairs")));
            }
        }
        for (Object image : list(kustomization.getOrDefault("images", List.of()))) {
            Map<String, Object> rule = map(image);
            for (Map<String, Object> object : objects) {
                if (!object.get("kind").equals("Deployment")) continue;
                for (Object container : list(at(object, "spec.template.spec.containers"))) {
                    if (rule.get("name").equals(map(container).get("image"))) {
                        map(container).put("image", rule.get("newName") + ":" + rule.get("newTag"));
                    }
                }
            }
        }
        return objects;
    }

    /** A strategic merge as these patches need it: maps merged, null removes, lists of named items merged by name. */
    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> target, Map<String, Object> patch) {
        for (var entry : patch.entrySet()) {
            Object value = entry.getValue();
            Object current = target.get(entry.getKey());
            if (value == null) {
                target.remove(entry.getKey());
            } else if (value instanceof Map<?, ?> && current instanceof Map<?, ?>) {
                merge((Map<String, Object>) current, (Map<String, Object>) value);
            } else if (value instanceof List<?> items && current instanceof List<?> existing && items.stream().allMatch(DeployManifestsTest::named)) {
                List<Object> added = new ArrayList<>();
                for (Object item : items) {
                    Optional<?> same = existing.stream().filter(e -> named(e) && map(e).get("name").equals(map(item).get("name"))).findFirst();
                    if (same.isPresent()) merge(map(same.get()), map(item));
                    else added.add(item);
                }
                added.addAll(existing); // kustomize puts a patch's new items first
                target.put(entry.getKey(), added);
            } else {
                target.put(entry.getKey(), value);
            }
        }
    }

    private static boolean named(Object item) {
        return item instanceof Map<?, ?> m && m.get("name") instanceof String;
    }

    private static Yaml yaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    static List<Map<String, Object>> load(Path file) {
        try {
            List<Map<String, Object>> docs = new ArrayList<>();
            for (Object doc : yaml().loadAll(Files.readString(file))) if (doc != null) docs.add(map(doc));
            return docs;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The value at a dotted path of maps, or null. */
    static Object at(Object root, String path) {
        Object node = root;
        for (String step : path.split("\\.")) {
            if (!(node instanceof Map<?, ?> m)) return null;
            node = m.get(step);
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node) {
        assertThat(node).isInstanceOf(Map.class);
        return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object node) {
        assertThat(node).isInstanceOf(List.class);
        return (List<Object>) node;
    }

    // ---- systemd ----

    @Test
    void theSystemdUnitIsHardenedAndItsFlagsAreSettings() throws IOException {
        Map<String, List<String>> unit = unit(RepoDocs.root().resolve("deploy/systemd/ek-server.service"));
        assertThat(unit.get("ProtectSystem")).containsExactly("strict");
        for (String yes : List.of("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices", "ProtectKernelTunables",
                "ProtectKernelModules", "ProtectControlGroups", "RestrictSUIDSGID", "RestrictNamespaces", "LockPersonality")) {
            assertThat(unit.get(yes)).as(yes).containsExactly("yes");
        }
        assertThat(unit.get("CapabilityBoundingSet")).as("no capabilities at all").containsExactly("");
        assertThat(unit.get("SystemCallFilter")).containsExactly("@system-service");
        assertThat(unit.get("RestrictAddressFamilies").get(0).split(" ")).containsExactlyInAnyOrder("AF_INET", "AF_INET6", "AF_UNIX");
        assertThat(unit.getOrDefault("MemoryDenyWriteExecute", List.of("no"))).as("the JIT writes code").containsExactly("no");
        assertThat(unit.get("User")).doesNotContain("root", "0");

        List<String> exec = List.of(unit.get("ExecStart").get(0).split("\\s+"));
        int jar = exec.indexOf("-jar");
        assertThat(exec.get(jar + 2)).isEqualTo("serve");
        Map<String, String> flags = new LinkedHashMap<>();
        for (String argument : exec.subList(jar + 3, exec.size())) {
            assertThat(argument).as("a --key=value flag").matches("--[a-z.-]+=.*");
            flags.put(argument.substring(0, argument.indexOf('=')), argument.substring(argument.indexOf('=') + 1));
        }
        Set<String> settingFlags = Setting.ALL.stream().map(Setting::flag).collect(Collectors.toSet());
        assertThat(settingFlags).containsAll(flags.keySet());
        assertThat(flags).doesNotContainKey("--master-key");
        String credential = unit.get("LoadCredential").get(0);
        assertThat(flags.get("--master-key-file")).as("the master key from LoadCredential").isEqualTo("%d/" + credential.substring(0, credential.indexOf(':')));
        String dataDir = flags.get("--data-dir");
        assertThat(dataDir).isEqualTo("/var/lib/" + unit.get("StateDirectory").get(0));
        assertThat(unit.get("ReadWritePaths").get(0).split(" ")).contains(dataDir);
        for (var flag : flags.entrySet()) {
            String key = flag.getKey().substring(2);
            boolean path = Setting.ALL.stream().anyMatch(s -> s.flag().equals(flag.getKey()) && PATH_SETTINGS.contains(s.key()));
            if (path && !flag.getValue().startsWith("%d/")) {
                assertThat(unit.get("ReadWritePaths").get(0).split(" ")).as("%s lies in a writable path", key)
                        .anyMatch(p -> flag.getValue().equals(p) || flag.getValue().startsWith(p + "/"));
            }
        }
    }

    /** A unit file's settings, each key with its values in order; continued lines joined, comments dropped. */
    private static Map<String, List<String>> unit(Path file) throws IOException {
        Map<String, List<String>> settings = new LinkedHashMap<>();
        String joined = Files.readString(file).replaceAll("\\\\\n\\s*", " ");
        for (String line : (Iterable<String>) Stream.of(joined.split("\n"))::iterator) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("[")) continue;
            int equals = trimmed.indexOf('=');
            settings.computeIfAbsent(trimmed.substring(0, equals), k -> new ArrayList<>()).add(trimmed.substring(equals + 1).strip());
        }
        return settings;
    }
}
