/* cli-render.h — `ecglens-cli render`: a record view drawn to PNG, PDF or SVG. */
#pragma once

int cli_render(int argc, char **argv);
