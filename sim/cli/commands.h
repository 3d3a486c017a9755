/* commands.h: fragsim's commands, one line each.
 *
 *   CLI_COMMAND(NAME, FUNCTION, HELP)
 *
 * FUNCTION(argc, argv) runs `fragsim NAME ...` with argv[0] = NAME and
 * returns the exit code (cli.h: CLI_OK, CLI_FAIL, CLI_USAGE); HELP is its
 * line in `fragsim help`.  Adding a command is its file, sim/cli/cli_NAME.c,
 * plus one line here: the line declares FUNCTION, puts it in the table
 * cli_main() dispatches on, and in the help, in this order.
 *
 * No include guard: cli.h includes it to declare, cli.c to build the table
 * and the help. */
CLI_COMMAND("run", cli_run_command, "replay a trace or a preset; write a results directory")
CLI_COMMAND("compare", cli_compare, "replay one trace on several allocators, one table")
CLI_COMMAND("sweep", cli_sweep, "one run per point of a grid of options, one table")
CLI_COMMAND("whatif", cli_whatif, "the baseline and each remedy (padding, compression, sharding,\n"
            "              uniform TTLs), one table against the baseline")
CLI_COMMAND("gen", cli_gen, "write a synthetic trace (deterministic by --seed)")
CLI_COMMAND("trace", cli_trace, "convert a trace (text, binary); its statistics (stats)")
CLI_COMMAND("import", cli_import, "a Redis server's traffic as a trace (import monitor)")
CLI_COMMAND("report", cli_report, "an HTML report (plots, page maps) from results directories")
CLI_COMMAND("doctor", cli_doctor, "MEMORY DOCTOR, the alerts and advice, with times and numbers")
CLI_COMMAND("export", cli_export, "a run's samples for Prometheus (redis_exporter's names)")
CLI_COMMAND("presets", cli_presets, "list the built-in workloads")
CLI_COMMAND("allocators", cli_allocators, "list the allocators this build can run")
CLI_COMMAND("help", cli_help, "this text")
CLI_COMMAND("version", cli_version, "print the version")
