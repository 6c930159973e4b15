/* http_test.c: the poll schedule of a running statement (sf-exec, dbx-exec). */
#include "http.h"
#include "t.h"

/* When a statement that ends at end_s is seen: the first poll at or after it. */
static double
seen_at(double end_s)
{
	double t = 0;
	long d = 0;

	while (t < end_s) {
		d = http_poll_delay_ms(d, t);
		t += d / 1000.0;
	}
	return t;
}

int
main(void)
{
	long d = 0, prev;
	double t = 0, ends[] = { 0.04, 0.3, 1, 3.3, 10, 59, 120, 3600 };
	size_t i;
	int n;

	T_CHECK(http_poll_delay_ms(0, 0) == 50, "first poll after 50 ms, got %ld",
	    http_poll_delay_ms(0, 0));
	T_CHECK(http_poll_delay_ms(50, 0.05) == 75, "grows by 1.5x, got %ld", http_poll_delay_ms(50, 0.05));
	T_CHECK(http_poll_delay_ms(900, 10) == 1000, "at most 1 s in the first minute, got %ld",
	    http_poll_delay_ms(900, 10));
	T_CHECK(http_poll_delay_ms(1000, 59.9) == 1000, "still 1 s at 59.9 s, got %ld",
	    http_poll_delay_ms(1000, 59.9));
	T_CHECK(http_poll_delay_ms(1000, 60) == 1500, "grows again after a minute, got %ld",
	    http_poll_delay_ms(1000, 60));
	T_CHECK(http_poll_delay_ms(4000, 600) == 5000, "at most 5 s, got %ld", http_poll_delay_ms(4000, 600));
	/* Never shrinks, never above the caps, over an hour of polls. */
	for (n = 0; t < 3600; n++) {
		prev = d;
		d = http_poll_delay_ms(d, t);
		T_CHECK(d >= prev && d <= (t < 60 ? 1000 : 5000), "poll %d at %.2f s: %ld ms after %ld", n, t,
		    d, prev);
		t += d / 1000.0;
	}
	T_CHECK(n < 60 + 60 + 3600 / 5, "an hour is %d polls", n);
	/* Close to the answer: a statement is seen within 50 ms plus a third of its time, and
	 * within 1 s of its end in the first minute (the 3.3 s statement: not 6.5 s). */
	for (i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		double s = seen_at(ends[i]);

		T_CHECK(s - ends[i] <= 0.05 + ends[i] / 3, "ends at %.2f s, seen at %.2f s", ends[i], s);
		T_CHECK(ends[i] >= 59 || s - ends[i] <= 1.0, "ends at %.2f s, seen at %.2f s", ends[i], s);
	}
	T_CHECK(seen_at(3.3) < 4.3, "3.3 s seen at %.2f s", seen_at(3.3));
	T_DONE();
}
