/* csv.c: being written */
