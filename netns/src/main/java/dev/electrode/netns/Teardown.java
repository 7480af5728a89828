package dev.electrode.netns;

/**
 * Runs every step of a teardown even when some fail, then throws the first failure (later ones
 * suppressed in it): one stuck piece must not leave the others behind.
 */
public final class Teardown {
    private RuntimeException first;

    /** Runs {@code step}, keeping its failure for {@link #done()}. */
    public Teardown step(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            if (first == null) first = e;
            else first.addSuppressed(e);
        }
        return this;
    }

    /** Throws the first failure, if any step failed. */
    public void done() {
        if (first != null) throw first;
    }
}
