package dev.ekvault.server.gateway;

import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * A request whose client went away before its answer could be written: it reset or closed the connection mid-body,
 * or while the answer was being written. Logged as one INFO line and counted with status {@value #STATUS} (nginx's
 * "client closed request"): nobody received an answer, and it is not the server's fault, so it is never a 500.
 *
 * <p>A body that merely ends early (the client closed its sending side, which a half-close does too while it still
 * waits for the answer) is not this: it is answered 400, since the server cannot tell the two apart until it writes.
 */
final class ClientGone extends RuntimeException {
    static final int STATUS = 499;

    ClientGone(Throwable cause) {
        super("client disconnected", cause, false, false);
    }

    /**
     * While the body was read: the connection was reset or is closed (not a half-close, which still gets its 400, nor
     * a body gone silent, whose 400 the client is still waiting for).
     */
    static boolean whileReading(Throwable failure, Request request) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.util.concurrent.TimeoutException) return false;
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ClosedChannelException || isReset(t)) return true;
        }
        return !request.getConnectionMetaData().getConnection().getEndPoint().isOpen();
    }

    /** While the answer was written (a streamed export): any end of the connection, a peer's close included. */
    static boolean whileWriting(Throwable failure, Request request) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ClientGone || t instanceof EofException || t instanceof ClosedChannelException || isReset(t)) return true;
        }
        return failure instanceof IOException && !request.getConnectionMetaData().getConnection().getEndPoint().isOpen();
    }

    private static boolean isReset(Throwable t) {
        String message = t.getMessage();
        return t instanceof IOException && message != null && (message.contains("Connection reset") || message.contains("Broken pipe"));
    }
}
