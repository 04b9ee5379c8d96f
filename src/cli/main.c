#include <stdio.h>
int main(void) { puts("gemel"); return 0; }
