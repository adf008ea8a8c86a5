package dev.ekvault.server.testing;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;

/**
 * A private CA made for the test with the JDK's own {@code keytool} (no certificate-building library needed): a CA
 * certificate (basic constraints CA:true), and a server certificate it signs for {@code 127.0.0.1} (an IP SAN, so
 * the client's host name check passes) — as a cluster's CA and its API server's certificate are. Also a second,
 * unrelated CA: the wrong bundle. Made once per JVM, it takes a few keytool runs.
 */
public final class TestCa {
    private static TestCa made;

    public final String caPem;
    public final String otherCaPem;
    public final SSLContext serverContext;

    private TestCa(Path dir) throws Exception {
        String pass = "changeit";
        keytool(dir, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=ek test cluster CA",
                "-ext", "bc:c", "-validity", "3", "-keystore", "ca.p12", "-storetype", "PKCS12", "-storepass", pass);
        keytool(dir, "-exportcert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", pass, "-rfc", "-file", "ca.pem");
        keytool(dir, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=kube-apiserver",
                "-validity", "3", "-keystore", "server.p12", "-storetype", "PKCS12", "-storepass", pass);
        keytool(dir, "-certreq", "-alias", "server", "-keystore", "server.p12", "-storepass", pass, "-file", "server.csr");
        keytool(dir, "-gencert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", pass, "-infile", "server.csr", "-outfile", "server.pem",
                "-rfc", "-validity", "3", "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext", "eku=serverAuth");
        keytool(dir, "-importcert", "-alias", "ca", "-file", "ca.pem", "-keystore", "server.p12", "-storepass", pass, "-noprompt");
        keytool(dir, "-importcert", "-alias", "server", "-file", "server.pem", "-keystore", "server.p12", "-storepass", pass, "-noprompt");
        keytool(dir, "-genkeypair", "-alias", "other", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=some other CA",
                "-ext", "bc:c", "-validity", "3", "-keystore", "other.p12", "-storetype", "PKCS12", "-storepass", pass);
        keytool(dir, "-exportcert", "-alias", "other", "-keystore", "other.p12", "-storepass", pass, "-rfc", "-file", "other.pem");
        caPem = Files.readString(dir.resolve("ca.pem"), StandardCharsets.US_ASCII);
        otherCaPem = Files.readString(dir.resolve("other.pem"), StandardCharsets.US_ASCII);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            keys.load(in, pass.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, pass.toCharArray());
        serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);
    }

    public static synchronized TestCa get() throws Exception {
        if (made == null) {
            Path dir = Files.createTempDirectory("ek-test-ca");
            made = new TestCa(dir);
        }
        return made;
    }

    private static void keytool(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) throw new IllegalStateException("keytool " + args[0] + " failed: " + output);
    }
}
