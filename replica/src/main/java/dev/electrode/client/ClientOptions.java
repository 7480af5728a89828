package dev.electrode.client;

import java.time.Duration;

/**
 * Client timing.
 *
 * @param firstRetry    wait before the first retransmission
 * @param maxRetry      longest wait between retransmissions (the wait doubles up to this)
 * @param deadline      total time a request may take before it fails with {@link RequestTimeoutException}
 * @param sendToAll     send every request to all replicas, like the reference prototype's client
 *                      (otherwise only to the presumed leader until a retransmission)
 */
public record ClientOptions(Duration firstRetry, Duration maxRetry, Duration deadline, boolean sendToAll) {
    public static final ClientOptions DEFAULT = new ClientOptions(Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofSeconds(10), false);

    public ClientOptions {
        if (firstRetry.isNegative() || firstRetry.isZero() || maxRetry.compareTo(firstRetry) < 0 || deadline.compareTo(firstRetry) < 0)
            throw new IllegalArgumentException("need 0 < firstRetry <= maxRetry and firstRetry <= deadline: " + this);
    }

    public ClientOptions withDeadline(Duration d) { return new ClientOptions(firstRetry, maxRetry, d, sendToAll); }

    public ClientOptions withSendToAll(boolean all) { return new ClientOptions(firstRetry, maxRetry, deadline, all); }
}
