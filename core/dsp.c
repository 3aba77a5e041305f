/* dsp.c: being written */
