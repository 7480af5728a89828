package dev.electrode.cli;

import dev.electrode.config.ClusterConfig;
import dev.electrode.config.ConfigException;
import picocli.CommandLine;

import java.nio.file.Path;

/** The --config option shared by the commands. */
public final class ConfigOption {
    @CommandLine.Option(names = "--config", required = true, description = "cluster configuration file (SPEC text format)")
    Path file;

    public ClusterConfig load(CommandLine cmd) {
        try {
            return ClusterConfig.load(file);
        } catch (ConfigException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
    }
}
