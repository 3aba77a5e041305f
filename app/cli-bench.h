/* cli-bench.h — `ecglens-cli bench`: speed measurements. */
#pragma once

int cli_bench(int argc, char **argv);
