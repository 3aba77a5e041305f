/* main.c — ecglens, the GUI. */
#include "ecg-application.h"
#include "ecg-blas-kernels.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EcgApplication) app = NULL;

  ecg_blas_use_cpu_kernels (argv);
  app = ecg_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
