/* npy.c: being written */
