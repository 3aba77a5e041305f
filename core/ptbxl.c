/* ptbxl.c: being written */
