package dev.electrode.server;

import dev.electrode.storage.Journal;
import dev.electrode.transport.UdpEndpoint;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The event-loop side that a VR and a Raft server share: one socket's thread runs the core,
 * its timers and the periodic drain of the kernel log, and ends every turn alike: the state
 * made durable (SYNC: forced; ASYNC: written), then what the turn queued sent. A journal that
 * cannot be written stops the replica. Replica thread only, unless a method says otherwise.
 */
final class ReplicaLoop {
    /** System property: microseconds between drains of the kernel log when no datagram wakes the replica up. */
    static final String DRAIN_PERIOD_PROPERTY = "electrode.offload.drainPeriodMicros";

    /**
     * How often the kernel log is drained when no datagram wakes the replica up (every datagram
     * drains it first) while the kernel acknowledges: nothing waits for the drain then but the
     * follower's own log, and each timer wake-up costs the follower's CPU (A/B in docs/bench/ab).
     */
    static final long DRAIN_PERIOD_MICROS = Long.getLong(DRAIN_PERIOD_PROPERTY, 5000);

    /** The drain period with deferred acks: each acknowledgement waits for the drain that finds its entry. */
    static final long DEFERRED_ACK_DRAIN_PERIOD_MICROS = Long.getLong(DRAIN_PERIOD_PROPERTY, 500);

    private final String name;
    private final ReplicaErrors errors;
    private final DurableState durable; // null: memory only
    private final Supplier<Journal.Meta> meta;
    private final LongSupplier logBase;
    private final ScheduledFuture<?>[] timers;
    private UdpEndpoint endpoint;
    private ScheduledFuture<?> drainTimer;
    private ScheduledFuture<?> asyncForce;
    private Runnable stopKernel = () -> { };
    private volatile boolean closed; // no more timers: stopping, or stopped on a journal failure
    private volatile IOException journalFailure;

    /**
     * A loop for {@code name} ("replica 2") with {@code timerSlots} timers; each turn persists the
     * core's {@code meta} record and compacts up to its {@code logBase} in {@code durable} (null:
     * memory only).
     */
    ReplicaLoop(String name, int timerSlots, ReplicaErrors errors, DurableState durable, Supplier<Journal.Meta> meta, LongSupplier logBase) {
        this.name = name;
        this.errors = errors;
        this.durable = durable;
        this.meta = meta;
        this.logBase = logBase;
        this.timers = new ScheduledFuture<?>[timerSlots];
    }

    /** The socket whose thread this is; {@code stopKernel} writes the stopped control state to the offloads. */
    void bind(UdpEndpoint endpoint, Runnable stopKernel) {
        this.endpoint = endpoint;
        this.stopKernel = stopKernel;
    }

    /** Runs {@code task} on the replica thread and returns its result (any thread; 10 s at most). */
    <T> T call(Callable<T> task) {
        try {
            return endpoint.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the replica thread", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(name + " did not answer", e);
        }
    }

    /**
     * Ends a turn: the state durable first, then the datagrams it queued; nothing leaves that
     * the journal does not account for, and one force covers the whole turn (group commit).
     */
    void endTurn() {
        if (durable != null) {
            if (journalFailure != null) return;
            try {
                durable.persist(meta.get(), logBase.getAsLong());
            } catch (IOException e) {
                failJournal(e);
                return;
            }
        }
        endpoint.flush();
    }

    /** With ASYNC durability, forces the journal every {@link ReplicaServer#ASYNC_FORCE_MILLIS} ms from now on. */
    void startAsyncForce() {
        if (durable != null && durable.async())
            asyncForce = endpoint.eventLoop().scheduleAtFixedRate(this::forceJournal, ReplicaServer.ASYNC_FORCE_MILLIS,
                    ReplicaServer.ASYNC_FORCE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void forceJournal() {
        if (journalFailure != null) return;
        try {
            durable.force();
        } catch (IOException e) {
            failJournal(e);
        }
    }

    private void failJournal(IOException e) {
        journalFailure = e;
        errors.report(ReplicaErrors.Kind.JOURNAL, "cannot make its state durable (" + e.getMessage()
                + "): it stops here; nothing it queued since its last durable write is sent", null);
        cancelAll();
        stopKernel.run();
        endpoint.closeAsync(); // queued, unflushed datagrams are discarded with the channel
    }

    /** Why the replica stopped on its own (its journal could not be written), or null. Any thread. */
    IOException failure() { return journalFailure; }

    /** True once the replica stops or stopped: no timer is armed any more. Any thread. */
    boolean closed() { return closed; }

    /** Arms timer {@code slot} ({@code what} names it in errors) to run {@code fire} and end the turn, replacing a pending one. */
    void setTimer(int slot, String what, long delayMicros, Runnable fire) {
        cancelTimer(slot);
        if (closed) return;
        timers[slot] = endpoint.eventLoop().schedule(() -> {
            timers[slot] = null;
            try {
                fire.run();
            } catch (RuntimeException e) {
                errors.report(ReplicaErrors.Kind.HANDLER_EXCEPTION, "timer " + what + " threw", e);
            }
            endTurn();
        }, delayMicros, TimeUnit.MICROSECONDS);
    }

    void cancelTimer(int slot) {
        ScheduledFuture<?> t = timers[slot];
        if (t != null) {
            t.cancel(false);
            timers[slot] = null;
        }
    }

    /**
     * Runs {@code drain} and ends the turn periodically while {@code wanted} ({@link
     * #DEFERRED_ACK_DRAIN_PERIOD_MICROS} if {@code acksWait}, else {@link #DRAIN_PERIOD_MICROS});
     * stops it otherwise.
     */
    void drainPeriodically(boolean wanted, boolean acksWait, Runnable drain) {
        if (closed) return;
        if (wanted && drainTimer == null) {
            long period = acksWait ? DEFERRED_ACK_DRAIN_PERIOD_MICROS : DRAIN_PERIOD_MICROS;
            drainTimer = endpoint.eventLoop().scheduleAtFixedRate(() -> {
                drain.run();
                endTurn();
            }, period, period, TimeUnit.MICROSECONDS);
        } else if (!wanted && drainTimer != null) {
            drainTimer.cancel(false);
            drainTimer = null;
        }
    }

    private void cancelAll() {
        closed = true;
        for (ScheduledFuture<?> t : timers) if (t != null) t.cancel(false);
        if (drainTimer != null) drainTimer.cancel(false);
        if (asyncForce != null) asyncForce.cancel(false);
    }

    /**
     * Stops the replica (any thread): timers off, the journal forced, the kernel told the
     * replica stopped, the socket closed. The offloads belong to whoever attached them, the
     * journal to whoever opened it.
     */
    void close() {
        closed = true;
        try {
            endpoint.eventLoop().submit(() -> {
                cancelAll();
                if (durable != null && journalFailure == null) {
                    try {
                        durable.syncAtStop();
                    } catch (IOException e) {
                        System.err.println(name + ": ERROR: cannot force its journal at stop: " + e.getMessage());
                    }
                }
                stopKernel.run(); // a stopped replica must not go on acknowledging in the kernel
            }).await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        endpoint.close();
    }
}
