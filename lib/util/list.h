/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An intrusive doubly linked list, as systemd's list.h: the item carries
 * its links (LIST_FIELDS), the owner holds a pointer to the head.
 */
#pragma once

#define LIST_FIELDS(t, name)	t *name##_next, *name##_prev

#define LIST_PREPEND(name, head, item) do {				\
		typeof(*(head)) **_head = &(head), *_item = (item);	\
		_item->name##_prev = NULL;				\
		_item->name##_next = *_head;				\
		if (*_head)						\
			(*_head)->name##_prev = _item;			\
		*_head = _item;						\
	} while (0)

#define LIST_REMOVE(name, head, item) do {				\
		typeof(*(head)) **_head = &(head), *_item = (item);	\
		if (_item->name##_next)					\
			_item->name##_next->name##_prev = _item->name##_prev; \
		if (_item->name##_prev)					\
			_item->name##_prev->name##_next = _item->name##_next; \
		else							\
			*_head = _item->name##_next;			\
		_item->name##_next = _item->name##_prev = NULL;		\
	} while (0)

#define LIST_FOREACH(name, i, head)					\
	for (typeof(*(head)) *i = (head); i; i = i->name##_next)
