package dev.ekvault.server.outbound;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private CA's certificates, given as PEM (a cluster's {@code ca.crt}), turned into the only trust anchors of a TLS
 * context: a server whose chain does not lead to one of them is refused, whatever the system trust store says. The
 * PEM is parsed strictly (only {@code CERTIFICATE} blocks, at most {@link #MAX_CERTIFICATES}) so a pasted key or a
 * typo is an error the caller can name, never a silently empty trust store.
 */
public final class TrustBundle {
    public static final int MAX_CERTIFICATES = 32;
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    private TrustBundle() {}

    /** Not a usable bundle; the message says why without quoting it. */
    public static final class Invalid extends Exception {
        Invalid(String reason) {
            super(reason, null, false, false);
        }
    }

    /** The certificates of a PEM bundle: one or more {@code CERTIFICATE} blocks and nothing else but whitespace. */
    public static List<X509Certificate> parse(String pem) throws Invalid {
        if (pem == null || pem.isBlank()) throw new Invalid("holds no certificate");
        Matcher m = BLOCK.matcher(pem);
        List<X509Certificate> out = new ArrayList<>();
        int end = 0;
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException(e);
        }
        while (m.find()) {
            if (!pem.substring(end, m.start()).isBlank()) throw new Invalid("holds text outside its PEM blocks");
            end = m.end();
            if (!m.group(1).equals("CERTIFICATE")) throw new Invalid("holds a PEM block that is not a CERTIFICATE");
            if (out.size() >= MAX_CERTIFICATES) throw new Invalid("holds more than " + MAX_CERTIFICATES + " certificates");
            String block = "-----BEGIN CERTIFICATE-----\n" + m.group(2).strip() + "\n-----END CERTIFICATE-----\n";
            try {
                Collection<? extends Certificate> certs = factory.generateCertificates(new ByteArrayInputStream(block.getBytes(StandardCharsets.US_ASCII)));
                if (certs.size() != 1 || !(certs.iterator().next() instanceof X509Certificate x509)) throw new Invalid("holds an unreadable certificate");
                out.add(x509);
            } catch (CertificateException | IllegalArgumentException e) {
                throw new Invalid("holds an unreadable certificate");
            }
        }
        if (!pem.substring(end).isBlank()) throw new Invalid(out.isEmpty() ? "is not PEM (-----BEGIN CERTIFICATE-----)" : "holds text outside its PEM blocks");
        if (out.isEmpty()) throw new Invalid("holds no certificate");
        return out;
    }

    /** A TLS context that trusts exactly these certificates as anchors. */
    public static SSLContext context(List<X509Certificate> anchors) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < anchors.size(); i++) store.setCertificateEntry("anchor-" + i, anchors.get(i));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("a TLS context could not be built", e);
        }
    }
}
