/* wfdb.c: being written */
