/* cli-model.h — `ecglens-cli train`, `score` and `eval`. */
#pragma once

int cli_train(int argc, char **argv);
int cli_score(int argc, char **argv);
int cli_eval(int argc, char **argv);
