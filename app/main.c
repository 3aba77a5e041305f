/* main.c — ecglens, the GUI. */
#include "ecg-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EcgApplication) app = ecg_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
