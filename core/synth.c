/* synth.c: being written */
