/* cli-bench-browse.h — `ecglens-cli bench --browse`: stepping through records as the window does. */
#pragma once

#include <stdbool.h>

/* Step through n_records records of the dataset at data (cycling) scored by
 * the checkpoint at model_path; prints switch and re-threshold times and
 * resident memory. Returns the exit status. */
int bench_browse(const char *data, const char *model_path, int n_records, bool json);
