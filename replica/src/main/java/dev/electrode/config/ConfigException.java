package dev.electrode.config;

/** A configuration file that cannot be used; the message names the file and line. */
public final class ConfigException extends Exception {
    public ConfigException(String message) { super(message); }
}
